-- landscape_end_of_life: care in the last days of life of the LLC decedents, per window and measure.
-- Grain: one row per decedent (_kpz_landscape_decedents) x window (_kpz_landscape_windows) x
--        measure (_kpz_landscape_measures) with at least one matching mart row in a calendar
--        month that overlaps the window.
-- Inputs: mart_person_month (monthly: the warehouse has no day-level care mart, so a window is
--         read at month resolution), _kpz_landscape_decedents (persoon_id, death_date),
--         _kpz_landscape_windows (window_days), _kpz_landscape_measures (see landscape_care_year).
-- Columns: persoon_id, window_days, measure, n_months, volume, in_death_month (a matching row in
--          the calendar month of death)
--
-- The window of w days is death_date - (w - 1) ... death_date (the day of death counts). A month
-- is in the window when it overlaps it: a death on the 1st of a month brings the whole previous
-- month into a 30-day window; a death on the 31st of a 31-day month only the month of death.
-- Care in a month in the window counts in full (the marts do not say on which day of the month
-- it was given): an upper bound of the care in the window itself.
--
-- Plan
--   1. Decedents x windows with the window's first day.
--   2. Their mart rows in months overlapping the window (mart rows end at death: a person-month
--      exists only while alive and insured).
--   3. Match rows to measures; per decedent x window x measure.
with

decedents as (
    select persoon_id, death_date
    from _kpz_landscape_decedents
),

windows as (
    select window_days
    from _kpz_landscape_windows
),

measures as (
    select outcome as measure, domain, subdomain, financing, volume_measure
    from _kpz_landscape_measures
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

-- 2. care in months overlapping the window

care as (
    select
        s.persoon_id,
        s.window_days,
        pm.month,
        pm.month = date_trunc('month', s.death_date) as is_death_month,
        pm.domain,
        pm.subdomain,
        pm.financing,
        pm.n_lines,
        pm.volume
    from mart_person_month as pm
    inner join spans as s
        on s.persoon_id = pm.persoon_id
        and pm.month <= s.death_date
        and last_day(pm.month) >= s.window_start
),

-- 3. rows to measures, per decedent x window x measure

matched as (
    select
        c.persoon_id,
        c.window_days,
        c.month,
        c.is_death_month,
        m.measure,
        case m.volume_measure
            when 'volume' then c.volume
            when 'n_lines' then cast(c.n_lines as double)
        end as volume
    from care as c
    inner join measures as m
        on m.domain = c.domain
        and (m.subdomain is null or m.subdomain = c.subdomain)
        and (m.financing is null or m.financing = c.financing)
),

final as (
    select
        persoon_id,
        window_days,
        measure,
        count(distinct month) as n_months,
        sum(volume) as volume,
        bool_or(is_death_month) as in_death_month
    from matched
    group by persoon_id, window_days, measure
)

select * from final
