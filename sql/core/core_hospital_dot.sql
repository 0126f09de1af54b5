-- core_dot: net care — exact duplicates, credit lines and the lines they cancel removed.
-- grain: one row per net hospital (DBC/DOT) line (declaratie_id unique); credit_voor_id is dropped
-- Plan:
--   1. exact duplicates: keep the first copy. Rows sharing a declaratie_id are identical here
--      (validation quarantined every id whose rows differ), so this removes duplicates only;
--   2. credits: every credit line names a line of the same file and person (orphans were
--      quarantined); that line and the credit both leave. A replacement line has its own
--      declaratie_id and stays: it is ordinary care.
with staged as (
    select * from stg_dot
),

deduplicated as (
    select * from staged
    qualify row_number() over (partition by declaratie_id order by row_number) = 1
),

credits as (
    select credit_voor_id, persoon_id
    from deduplicated
    where credit_voor_id is not null
),

net as (
    select deduplicated.*
    from deduplicated
    anti join credits
        on credits.credit_voor_id = deduplicated.declaratie_id
        and credits.persoon_id = deduplicated.persoon_id
    where deduplicated.credit_voor_id is null
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
    order by row_number
)

select * from final
