-- core_wlz_indicaties: accepted CIZ indications, one copy of each.
-- grain: one row per indication period (indicatie_id unique)
-- Rows sharing an indicatie_id are identical here (conflicts were quarantined).
with staged as (
    select * from stg_wlz_indicaties
),

deduplicated as (
    select * from staged
    qualify row_number() over (partition by indicatie_id order by row_number) = 1
),

final as (
    select indicatie_id, persoon_id, zorgprofiel, grondslag, begindatum, einddatum
    from deduplicated
    order by row_number
)

select * from final
