-- stg_wlz_indicaties: the accepted CIZ indications, typed, with their source row number.
-- grain: one row per accepted input row (einddatum NULL = open indication)
with accepted as (
    select * from accepted_wlz_indicaties
),

final as (
    select
        row_number,
        indicatie_id,
        persoon_id,
        zorgprofiel,
        grondslag,
        begindatum,
        einddatum
    from accepted
)

select * from final
