-- transition_cohort_groups: the diagnostic group of each selected LLC cohort member.
-- Grain: one row per selected person of cohort 'llc'.
-- The group is the Fraser/Hain diagnostic group with the most LLC-coded hospital lines
-- (cohort_llc_diagnosis) that start before the 18th-birthday month (ties: alphabetical, so the
-- choice is reproducible); 'no_llc_code' for a person found by another source only.
-- Columns: persoon_id, diagnostic_group, n_groups (distinct groups with a line before M18)
with

members as (
    select persoon_id, month_18
    from transition_cohort_persons
    where selected and cohort = 'llc'
),

lines as (
    select persoon_id, declaratie_id, begindatum, diagnostic_group
    from cohort_llc_diagnosis
),

per_group as (
    select m.persoon_id, l.diagnostic_group, count(distinct l.declaratie_id) as n_lines
    from members as m
    inner join lines as l on l.persoon_id = m.persoon_id and l.begindatum < m.month_18
    group by m.persoon_id, l.diagnostic_group
),

ranked as (
    select
        persoon_id,
        diagnostic_group,
        row_number() over (partition by persoon_id order by n_lines desc, diagnostic_group) as rank,
        count(*) over (partition by persoon_id) as n_groups
    from per_group
),

final as (
    select
        m.persoon_id,
        coalesce(r.diagnostic_group, 'no_llc_code') as diagnostic_group,
        coalesce(r.n_groups, 0) as n_groups
    from members as m
    left join ranked as r on r.persoon_id = m.persoon_id and r.rank = 1
)

select * from final
