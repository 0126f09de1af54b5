-- stg_personen: the accepted rows of personen, typed, with their source row number.
-- grain: one row per accepted input row (exact duplicates are still here; core removes them)
-- Reads accepted_personen: the text rows validation (validate.py) did not quarantine, so every
-- cast below is known to succeed.
with accepted as (
    select * from accepted_personen
),

final as (
    select
        row_number,
        persoon_id,
        cast(strptime(geboortemaand || '-01', '%Y-%m-%d') as date) as geboortemaand,
        geslacht,
        cast(strptime(overlijdensdatum, '%Y-%m-%d') as date) as overlijdensdatum,
        provincie_code,
        gemeente_code,
        in_steekproef = '1' as in_steekproef
    from accepted
)

select * from final
