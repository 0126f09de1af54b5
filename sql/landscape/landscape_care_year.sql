-- landscape_care_year: care of the LLC case-years per measure of the care landscape.
-- Grain: one row per LLC case-year (_kpz_landscape_cases) x measure (_kpz_landscape_measures)
--        with at least one matching mart row in a month of that calendar year.
-- Care in a year without a row here is no care of that measure.
-- Inputs: mart_person_month (net of credits; only months in which the person is insured and
--         alive; volume pro rata by days of a line in the month), the temp tables
--         _kpz_landscape_cases (persoon_id, jaar: the LLC case-years) and
--         _kpz_landscape_measures (the versioned definition landscape_measures_v1: outcome,
--         domain, subdomain (NULL = every), financing (NULL = both), volume_measure).
-- Columns: persoon_id, jaar, measure, n_months (months of the year with a matching row),
--          volume (NULL for volume_measure none)
--
-- Plan
--   1. The mart rows of the case persons in the case years.
--   2. Match every row to every measure component it satisfies (components of one measure never
--      overlap: the definition loader refuses that, so a row counts once per measure).
--   3. Per person-year x measure: months with use, summed volume.
with

cases as (
    select persoon_id, jaar
    from _kpz_landscape_cases
),

measures as (
    select outcome as measure, domain, subdomain, financing, volume_measure
    from _kpz_landscape_measures
),

-- 1. care of the cases in their case years

care as (
    select
        pm.persoon_id,
        year(pm.month) as jaar,
        pm.month,
        pm.domain,
        pm.subdomain,
        pm.financing,
        pm.n_lines,
        pm.volume
    from mart_person_month as pm
    inner join cases as c
        on c.persoon_id = pm.persoon_id and c.jaar = year(pm.month)
),

-- 2. rows to measures

matched as (
    select
        c.persoon_id,
        c.jaar,
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

-- 3. per person-year x measure

final as (
    select
        persoon_id,
        jaar,
        measure,
        count(distinct month) as n_months,
        sum(volume) as volume
    from matched
    group by persoon_id, jaar, measure
)

select * from final
