-- landscape_a_measure_months: care of the LLC case persons per month and measure of the care landscape.
-- Grain: one row per person with an LLC case-year (_kpz_landscape_cases) x calendar month x
--        measure (_kpz_landscape_measures) with at least one matching mart row in that month
--        (every month of the extract, not only the case years: the end-of-life windows can reach
--        into the year before the death year).
-- Inputs: mart_person_month (net of credits; only months in which the person is insured and
--         alive; volume pro rata by days of a line in the month), the temp tables
--         _kpz_landscape_cases (persoon_id, jaar: the LLC case-years) and
--         _kpz_landscape_measures (the versioned definition landscape_measures_v1: outcome,
--         domain, subdomain (NULL = every), financing (NULL = both), volume_measure).
-- Columns: persoon_id, month, measure, volume (NULL for volume_measure none)
--
-- Plan
--   1. The mart rows of the case persons.
--   2. Match every row to every measure component it satisfies (components of one measure never
--      overlap: the definition loader refuses that, so a row counts once per measure).
--   3. Per person x month x measure: summed volume.
with

persons as (
    select distinct persoon_id
    from _kpz_landscape_cases
),

measures as (
    select outcome as measure, domain, subdomain, financing, volume_measure
    from _kpz_landscape_measures
),

-- 1. care of the case persons

care as (
    select pm.persoon_id, pm.month, pm.domain, pm.subdomain, pm.financing, pm.n_lines, pm.volume
    from mart_person_month as pm
    inner join persons as p on p.persoon_id = pm.persoon_id
),

-- 2. rows to measures

matched as (
    select
        c.persoon_id,
        c.month,
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

-- 3. per person x month x measure

final as (
    select persoon_id, month, measure, sum(volume) as volume
    from matched
    group by persoon_id, month, measure
)

select * from final
