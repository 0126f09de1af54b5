-- landscape_end_of_life: care in the last days of life of the LLC decedents, per window and measure.
-- Grain: one row per decedent (_kpz_landscape_decedents) x window (_kpz_landscape_windows) x
--        measure with use in at least one calendar month that overlaps the window.
-- Inputs: landscape_a_measure_months (monthly: the warehouse has no day-level care mart, so a
--         window is read at month resolution), _kpz_landscape_decedents (persoon_id, death_date),
--         _kpz_landscape_windows (window_days).
-- Columns: persoon_id, window_days, measure, n_months, volume, in_death_month (use in the
--          calendar month of death)
--
-- The window of w days is death_date - (w - 1) ... death_date (the day of death counts). A month
-- is in the window when it overlaps it: a death on the 1st of a month brings the whole previous
-- month into a 30-day window; a death on the 31st of a 31-day month only the month of death.
-- Care in a month in the window counts in full (the marts do not say on which day of the month
-- it was given): an upper bound of the care in the window itself. The mart holds months only
-- while the person is alive and insured, so nothing after the month of death is read.
--
-- Plan
--   1. Decedents x windows with the window's first day.
--   2. Their measure-months in months overlapping the window; per decedent x window x measure.
with

decedents as (
    select persoon_id, death_date
    from _kpz_landscape_decedents
),

windows as (
    select window_days
    from _kpz_landscape_windows
),

months as (
    select persoon_id, month, measure, volume
    from landscape_a_measure_months
),

-- 1. the windows

spans as (
    select
        d.persoon_id,
        d.death_date,
        w.window_days,
        d.death_date - cast(w.window_days - 1 as integer) as window_start
    from decedents as d
    cross join windows as w
),

-- 2. measure-months in the window

final as (
    select
        s.persoon_id,
        s.window_days,
        m.measure,
        count(*) as n_months,
        sum(m.volume) as volume,
        bool_or(m.month = date_trunc('month', s.death_date)) as in_death_month
    from months as m
    inner join spans as s
        on s.persoon_id = m.persoon_id
        and m.month <= s.death_date
        and last_day(m.month) >= s.window_start
    group by s.persoon_id, s.window_days, m.measure
)

select * from final
