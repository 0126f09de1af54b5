-- core_verzekeringsperioden: accepted insured periods without exact duplicates.
-- grain: one row per person per continuous insured period
with staged as (
    select * from stg_verzekeringsperioden
),

deduplicated as (
    select persoon_id, begindatum, einddatum, min(row_number) as row_number
    from staged
    group by persoon_id, begindatum, einddatum
),

final as (
    select persoon_id, begindatum, einddatum
    from deduplicated
    order by row_number
)

select * from final
