-- net_claim_lines(staged_table): the net lines of one staged claims table (stg_dot, stg_wmo, ...).
-- grain: one row per net line (declaratie_id unique), all columns of the staged table
-- One definition of netting for every claims file, so the five core models cannot drift apart.
-- Plan:
--   1. exact duplicates: keep the first copy. Rows sharing a declaratie_id are identical here
--      (validation quarantined every id whose rows differ), so this removes duplicates only;
--   2. credits: every credit line names a line of the same file and person (orphans were
--      quarantined); that line and the credit both leave. A replacement line has its own
--      declaratie_id and stays: it is ordinary care.
create or replace macro net_claim_lines(staged_table) as table
with deduplicated as (
    select * from query_table(staged_table)
    qualify row_number() over (partition by declaratie_id order by row_number) = 1
),

credits as (
    select credit_voor_id, persoon_id
    from deduplicated
    where credit_voor_id is not null
),

final as (
    select deduplicated.*
    from deduplicated
    anti join credits
        on credits.credit_voor_id = deduplicated.declaratie_id
        and credits.persoon_id = deduplicated.persoon_id
    where deduplicated.credit_voor_id is null
)

select * from final
