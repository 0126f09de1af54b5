-- transition_cohort_persons: the transition (LLC) and comparison cohorts with their follow-up.
-- Grain: one row per expanded candidate (transition_cohort_months), with every step flag.
-- Parameters: months_before, months_after, comparison_size.
-- Columns: persoon_id, cohort, month_18, birthday, found_event_month, geslacht, nik_region,
--          step_found_by, step_window, step_alive_at_18, step_observed_before, eligible,
--          comparison_rank, selected (in the cohort: every eligible LLC person; the first
--          comparison_size eligible comparison persons in the seeded order), followup_end (last
--          event month of the run of observable months from month 0, at most months_after - 1),
--          censor_reason (window_end, death, end_of_data, insurance_end)
--
-- Plan
--   1. Count the observable months before 18 (all of -months_before..-1 must be observable).
--   2. Follow-up: the run of observable months from month 0 (a month is in the run when its
--      position among the person's months >= 0 equals its event month); it ends at death,
--      emigration or another gap in insurance, the end of the data or the end of the window.
--   3. Select the cohorts and say why follow-up ended.
with

extract as (
    select cast(date_trunc('month', period_end) as date) as last_month
    from meta_extract
),

candidates as (
    select *
    from transition_cohort_candidates
),

observable as (
    select persoon_id, event_month
    from transition_cohort_months
),

-- 1. months before 18

observed_before as (
    select persoon_id, count(*) as n_observed_before
    from observable
    where event_month < 0
    group by persoon_id
),

-- 2. the run of months from month 0

after_months as (
    select
        persoon_id,
        event_month,
        row_number() over (partition by persoon_id order by event_month) - 1 as position
    from observable
    where event_month >= 0
),

run_after as (
    select persoon_id, count(*) filter (where event_month = position) as n_run
    from after_months
    group by persoon_id
),

expanded as (
    select
        c.*,
        coalesce(b.n_observed_before, 0) = getvariable('months_before') as step_observed_before,
        coalesce(a.n_run, 0) as n_run
    from candidates as c
    inner join (select distinct persoon_id from observable) as x on x.persoon_id = c.persoon_id
    left join observed_before as b on b.persoon_id = c.persoon_id
    left join run_after as a on a.persoon_id = c.persoon_id
),

-- 3. cohorts and censoring

eligible as (
    select
        *,
        step_found_by and step_window and step_alive_at_18 and step_observed_before as eligible
    from expanded
),

ordered as (
    select
        *,
        case when eligible and cohort = 'comparison' then
            row_number() over (partition by eligible and cohort = 'comparison' order by comparison_rank)
        end as eligible_rank
    from eligible
),

final as (
    select
        o.persoon_id,
        o.cohort,
        o.month_18,
        o.birthday,
        o.found_event_month,
        o.geslacht,
        o.nik_region,
        o.step_found_by,
        o.step_window,
        o.step_alive_at_18,
        o.step_observed_before,
        o.eligible,
        o.comparison_rank,
        o.eligible and (o.cohort = 'llc' or o.eligible_rank <= getvariable('comparison_size'))
            as selected,
        o.n_run - 1 as followup_end,
        case
            when o.n_run = getvariable('months_after') then 'window_end'
            when date_trunc('month', o.overlijdensdatum) = o.month_18 + to_months(o.n_run - 1)
                then 'death'
            when o.month_18 + to_months(o.n_run - 1) >= e.last_month then 'end_of_data'
            else 'insurance_end'
        end as censor_reason
    from ordered as o
    cross join extract as e
)

select * from final
