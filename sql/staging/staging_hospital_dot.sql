-- stg_dot: the accepted hospital (DBC/DOT) lines, typed, with their source row number.
-- grain: one row per accepted input row; credit lines and exact duplicates are still here
with accepted as (
    select * from accepted_dot
),

final as (
    select
        row_number,
        declaratie_id,
        persoon_id,
        instelling_id,
        instelling_type,
        specialisme,
        diagnose_code,
        icd10,
        zorgproduct_code,
        begindatum,
        einddatum,
        cast(bedrag as double) as bedrag,
        credit_voor_id
    from accepted
)

select * from final
