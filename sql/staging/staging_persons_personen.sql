-- stg_personen: the accepted rows of personen, typed, with their source row number.
-- grain: one row per accepted input row (exact duplicates are still here; core removes them)
-- Reads accepted_personen: the rows validation (extract/rows.py) did not quarantine, so every
-- cast below is known to succeed; dates and months arrive typed (DATE, a month as its first day)
-- and numbers as DOUBLE, parsed once by validation (accepted_sql).
with accepted as (
    select * from accepted_personen
),

final as (
    select
        row_number,
        persoon_id,
        geboortemaand,
        geslacht,
        overlijdensdatum,
        provincie_code,
        gemeente_code,
        in_steekproef = '1' as in_steekproef
    from accepted
)

select * from final
