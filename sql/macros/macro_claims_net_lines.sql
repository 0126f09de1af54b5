-- net_claim_lines(staged_table): the net lines of one staged claims table (stg_dot, stg_wmo, ...).
-- grain: one row per net line (declaratie_id unique), all columns of the staged table
-- One definition of netting for every claims file, so the five core models cannot drift apart.
-- Plan:
--   1. exact duplicates: keep the first copy. Rows sharing a declaratie_id are identical here
--      (validation quarantined every id whose rows differ), so this removes duplicates only.
--      Most ids occur once: one aggregate finds the repeated ids, and only their later copies
--      (a small set) are removed — no window or sort over the whole table, so it streams.
--   2. credits: every credit line names a line of the same file and person (orphans were
--      quarantined); that line and the credit both leave. A replacement line has its own
--      declaratie_id and stays: it is ordinary care.
create or replace macro net_claim_lines(staged_table) as table
with staged as (
    select * from query_table(staged_table)
),

repeated_ids as (
    select declaratie_id, min(row_number) as first_row
    from staged
    group by declaratie_id
    having count(*) > 1
),

later_copies as (
    select staged.row_number
    from staged
    inner join repeated_ids on repeated_ids.declaratie_id = staged.declaratie_id
    where staged.row_number > repeated_ids.first_row
),

credits as (
    select credit_voor_id, persoon_id
    from staged
    where credit_voor_id is not null
),

final as (
    select staged.*
    from staged
    anti join later_copies on later_copies.row_number = staged.row_number
    anti join credits
        on credits.credit_voor_id = staged.declaratie_id
        and credits.persoon_id = staged.persoon_id
    where staged.credit_voor_id is null
)

select * from final
