-- core_dot: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net hospital (DBC/DOT) line (declaratie_id unique); credit_voor_id is dropped
-- Netting (duplicates, credits and the lines they cancel) is the shared macro
-- net_claim_lines in sql/macros/macro_claims_net_lines.sql.
with net as (
    select * from net_claim_lines('stg_dot')
),

final as (
    select
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
        bedrag,
        nullif(upper(replace(icd10, '.', '')), '') as icd10_norm  -- G71.0 -> G710
    from net
)

select * from final
