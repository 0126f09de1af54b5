-- core_populatie: accepted denominator cells without exact duplicates.
-- grain: one row per year x age x sex x province (insured on 1 July of jaar)
with staged as (
    select * from stg_populatie
),

deduplicated as (
    select jaar, leeftijd, geslacht, provincie_code, aantal, min(row_number) as row_number
    from staged
    group by jaar, leeftijd, geslacht, provincie_code, aantal
),

final as (
    select jaar, leeftijd, geslacht, provincie_code, aantal
    from deduplicated
    order by row_number
)

select * from final
