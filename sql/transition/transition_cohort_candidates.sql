-- transition_cohort_candidates: candidates for the transition (LLC) and comparison cohorts,
-- with the steps that need no month-by-month look at insurance.
-- Grain: one row per accepted person whose 18th-birthday month (M18) lies in the extract period
--        and who is a candidate: found by a selected LLC source (cohort 'llc'), or never found
--        and drawn in the random sample (cohort_sample) or anyone (population) ('comparison').
-- Inputs: mart_person, mart_insured_period, meta_extract, and the temp table
--         _kpz_transition_found (persoon_id, found_month: first observable month in which a
--         selected LLC source sees the person; built from the versioned source definitions).
-- Parameters (DuckDB variables): months_before, found_by, seed.
-- Columns: persoon_id, cohort, month_18, birthday (15th of M18), found_event_month, geslacht,
--          nik_region, overlijdensdatum, step_found_by, step_window, step_alive_at_18,
--          comparison_rank (1, 2, ... over comparison candidates passing those steps, in the
--          seeded order md5(persoon_id || '#' || seed); NULL otherwise)
--
-- Plan
--   1. Import the period, persons, insured periods and the found months.
--   2. Candidates: persons with M18 in the period; 'llc' when found (any time), else
--      'comparison' when in_steekproef (cohort_sample design) or anyone (population design).
--   3. Steps: found by event month found_by (LLC only); months -months_before..-1 inside the
--      period; insured (and so alive) on the 18th birthday.
--   4. Seeded order of the comparison candidates that pass the steps.
with

extract as (
    select
        cast(date_trunc('month', period_start) as date) as first_month,
        cast(date_trunc('month', period_end) as date) as last_month,
        design
    from meta_extract
),

persons as (
    select persoon_id, month_18, geslacht, nik_region, in_steekproef, overlijdensdatum
    from mart_person
),

insured_periods as (
    select persoon_id, begindatum, einddatum
    from mart_insured_period
),

found as (
    select persoon_id, found_month
    from _kpz_transition_found
),

-- 2. candidates with M18 in the period

candidates as (
    select
        p.persoon_id,
        case when f.persoon_id is not null then 'llc' else 'comparison' end as cohort,
        p.month_18,
        cast(p.month_18 + interval 14 day as date) as birthday,
        date_diff('month', p.month_18, f.found_month) as found_event_month,
        p.geslacht,
        p.nik_region,
        p.overlijdensdatum
    from persons as p
    cross join extract as e
    left join found as f on f.persoon_id = p.persoon_id
    where p.month_18 between e.first_month and e.last_month
        and (
            f.persoon_id is not null or e.design = 'population' or coalesce(p.in_steekproef, false)
        )
),

-- 3. steps without month expansion

stepped as (
    select
        c.*,
        c.cohort = 'comparison' or c.found_event_month <= getvariable('found_by') as step_found_by,
        c.month_18 - to_months(getvariable('months_before')) >= e.first_month as step_window,
        exists (
            select 1 from insured_periods as ip
            where ip.persoon_id = c.persoon_id
                and ip.begindatum <= c.birthday and ip.einddatum >= c.birthday
        ) as step_alive_at_18
    from candidates as c
    cross join extract as e
),

-- 4. seeded order of the comparison candidates that pass the steps

ranked as (
    select
        s.*,
        case when s.cohort = 'comparison' and s.step_window and s.step_alive_at_18 then
            row_number() over (
                partition by (s.cohort = 'comparison' and s.step_window and s.step_alive_at_18)
                order by md5(s.persoon_id || '#' || cast(getvariable('seed') as varchar))
            )
        end as comparison_rank
    from stepped as s
)

select * from ranked
