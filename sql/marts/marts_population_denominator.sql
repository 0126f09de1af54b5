-- mart_denominator
-- Grain: one row per year x age x sex x province (core_populatie: persons insured on 1 July of
-- jaar, leeftijd in completed years on 1 July). Cells delivered twice are summed.
-- nik_region is the province default (ref_regions row without gemeente_code): populatie has no
-- municipality, so a province split between two NIK regions is assigned wholly to its default
-- region here, while mart_person uses the municipality.

with

population as (
    select jaar, leeftijd, geslacht, provincie_code, aantal
    from core_populatie
),

region_by_province as (
    select provincie_code, nik_region
    from ref_regions
    where gemeente_code is null
),

cells as (
    select
        jaar,
        leeftijd,
        geslacht,
        provincie_code,
        sum(aantal) as aantal
    from population
    group by jaar, leeftijd, geslacht, provincie_code
),

final as (
    select
        c.jaar,
        c.leeftijd,
        case
            when c.leeftijd < 1 then '<1'
            when c.leeftijd <= 4 then '1-4'
            when c.leeftijd <= 9 then '5-9'
            when c.leeftijd <= 14 then '10-14'
            when c.leeftijd <= 19 then '15-19'
            when c.leeftijd <= 24 then '20-24'
            else '25+'
        end as age_group,
        c.geslacht,
        c.provincie_code,
        r.nik_region,
        cast(c.aantal as bigint) as aantal
    from cells as c
    left join region_by_province as r on r.provincie_code = c.provincie_code
)

select * from final
