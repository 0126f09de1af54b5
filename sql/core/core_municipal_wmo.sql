-- core_wmo: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net Wmo line (declaratie_id unique); credit_voor_id is dropped
-- Netting (duplicates, credits and the lines they cancel) is the shared macro
-- net_claim_lines in sql/macros/macro_claims_net_lines.sql.
with net as (
    select * from net_claim_lines('stg_wmo')
),

final as (
    select
        declaratie_id,
        persoon_id,
        gemeente_code,
        productcategorie,
        product_code,
        begindatum,
        einddatum,
        volume,
        eenheid,
        bedrag,
        leveringsvorm
    from net
)

select * from final
