-- core_personen: accepted persons, one copy of each.
-- grain: one row per person (persoon_id unique)
-- Rows sharing a persoon_id are identical here (validation quarantined every id whose rows
-- differ), so keeping the first copy removes exact duplicates only.
with staged as (
    select * from stg_personen
),

deduplicated as (
    select * from staged
    qualify row_number() over (partition by persoon_id order by row_number) = 1
),

final as (
    select
        persoon_id,
        geboortemaand,
        geslacht,
        overlijdensdatum,
        provincie_code,
        gemeente_code,
        in_steekproef
    from deduplicated
    order by row_number
)

select * from final
