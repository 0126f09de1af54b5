-- core_wlz_declaraties: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net Wlz line (declaratie_id unique); credit_voor_id is dropped
-- Netting (duplicates, credits and the lines they cancel) is the shared macro
-- net_claim_lines in sql/macros/macro_claims_net_lines.sql.
with net as (
    select * from net_claim_lines('stg_wlz_declaraties')
),

final as (
    select
        declaratie_id,
        persoon_id,
        leveringsvorm,
        prestatie_code,
        meerzorg,
        begindatum,
        einddatum,
        aantal,
        eenheid,
        bedrag
    from net
)

select * from final
