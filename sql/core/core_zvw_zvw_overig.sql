-- core_zvw_overig: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net line of other Zvw care (declaratie_id unique); credit_voor_id is dropped
-- Netting (duplicates, credits and the lines they cancel) is the shared macro
-- net_claim_lines in sql/macros/macro_claims_net_lines.sql.
with net as (
    select * from net_claim_lines('stg_zvw_overig')
),

final as (
    select
        declaratie_id,
        persoon_id,
        zorgsoort,
        prestatie_code,
        begindatum,
        einddatum,
        aantal,
        eenheid,
        bedrag,
        leveringsvorm
    from net
)

select * from final
