-- landscape_care_year: care of the LLC case-years per measure of the care landscape.
-- Grain: one row per LLC case-year (_kpz_landscape_cases) x measure with at least one month of
--        that calendar year in landscape_a_measure_months. Care in a year without a row here is
--        no care of that measure.
-- Inputs: landscape_a_measure_months (built before this model), _kpz_landscape_cases.
-- Columns: persoon_id, jaar, measure, n_months (months of the year with use), volume
with

cases as (
    select persoon_id, jaar
    from _kpz_landscape_cases
),

months as (
    select persoon_id, month, measure, volume
    from landscape_a_measure_months
),

final as (
    select
        c.persoon_id,
        c.jaar,
        m.measure,
        count(*) as n_months,
        sum(m.volume) as volume
    from months as m
    inner join cases as c
        on c.persoon_id = m.persoon_id and c.jaar = year(m.month)
    group by c.persoon_id, c.jaar, m.measure
)

select * from final
