-- cohort_person_year: the person-years in which a person is alive and insured.
-- Grain: one row per person × calendar year of the extract period in which the person is alive
--        and insured on at least one day (an mart_insured_period overlaps the year).
-- Columns: persoon_id, jaar, leeftijd, age_group, geslacht, provincie_code, nik_region,
--          in_steekproef, insured_days, insured_1july (alive and insured on 1 July of the year:
--          the point-prevalence basis, as populatie counts), under18_in_year (alive and insured
--          on a day of the year before the 18th birthday: the capture-recapture stratum),
--          died_in_year
--
-- Plan
--   1. Attach the person's attributes to each insured period (already clipped to the period and
--      to death), and count the person's periods: a join of periods, not of person-years.
--   2. Expand every period to the calendar years it overlaps, with the number of its days in
--      each year.
--   3. Sum days per person-year (periods of one person do not overlap). Most persons have one
--      period, whose years are already person-years: only persons with several periods go
--      through the aggregate (at scale 1 the aggregate of all person-years was half the cost).
--   4. Age in year Y = completed years on 1 July of Y counted from the 15th of the birth month,
--      floored at 0 for children born after 1 July (the counting convention shared with the
--      generator's truth): Y - birth year, minus one when the birth month is July or later.
with

insured as (
    select persoon_id, begindatum, einddatum from mart_insured_period
    -- the part of the persons being built (warehouse/marts.py builds this table in parts at
    -- national scale; unset, it is one part)
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

persons as (
    select persoon_id, geboortemaand, geslacht, provincie_code, nik_region, in_steekproef,
        overlijdensdatum
    from mart_person
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

-- 1. periods with their person

person_periods as (
    select
        i.persoon_id,
        i.begindatum,
        i.einddatum,
        count(*) over (partition by i.persoon_id) as n_periods,
        p.geboortemaand,
        p.geslacht,
        p.provincie_code,
        p.nik_region,
        p.in_steekproef,
        p.overlijdensdatum
    from insured as i
    inner join persons as p
        on p.persoon_id = i.persoon_id
    where i.begindatum <= i.einddatum
),

-- 2. the years of each period

period_years as (
    select
        *,
        unnest(generate_series(year(begindatum), year(einddatum))) as year_no
    from person_periods
),

period_days as (
    select
        persoon_id,
        n_periods,
        geboortemaand,
        geslacht,
        provincie_code,
        nik_region,
        in_steekproef,
        overlijdensdatum,
        cast(year_no as integer) as jaar,
        greatest(begindatum, make_date(cast(year_no as integer), 1, 1)) as first_day,
        date_diff(
            'day',
            greatest(begindatum, make_date(cast(year_no as integer), 1, 1)),
            least(einddatum, make_date(cast(year_no as integer), 12, 31))
        ) + 1 as days,
        make_date(cast(year_no as integer), 7, 1) between begindatum and einddatum as on_1july
    from period_years
),

-- 3. person-years: one period is its own person-year; several are summed

person_year as (
    select persoon_id, jaar, geboortemaand, geslacht, provincie_code, nik_region, in_steekproef,
        overlijdensdatum, days as insured_days, first_day as first_insured_day,
        on_1july as insured_1july
    from period_days
    where n_periods = 1

    union all

    select persoon_id, jaar, geboortemaand, geslacht, provincie_code, nik_region, in_steekproef,
        overlijdensdatum, sum(days) as insured_days, min(first_day) as first_insured_day,
        bool_or(on_1july) as insured_1july
    from period_days
    where n_periods > 1
    group by persoon_id, jaar, geboortemaand, geslacht, provincie_code, nik_region, in_steekproef,
        overlijdensdatum
),

-- 4. age and flags

aged as (
    select
        persoon_id,
        jaar,
        greatest(
            0,
            jaar - year(geboortemaand) - case when month(geboortemaand) >= 7 then 1 else 0 end
        ) as leeftijd,
        geslacht,
        provincie_code,
        nik_region,
        in_steekproef,
        insured_days,
        insured_1july,
        -- IKZ/MKV exists only before the 18th birthday (15th of the birth month + 18 years)
        first_insured_day < make_date(year(geboortemaand) + 18, month(geboortemaand), 15)
            as under18_in_year,
        coalesce(year(overlijdensdatum) = jaar, false) as died_in_year
    from person_year
),

final as (
    select
        persoon_id,
        jaar,
        cast(leeftijd as integer) as leeftijd,
        case
            when leeftijd < 1 then '<1'
            when leeftijd <= 4 then '1-4'
            when leeftijd <= 9 then '5-9'
            when leeftijd <= 14 then '10-14'
            when leeftijd <= 19 then '15-19'
            when leeftijd <= 24 then '20-24'
            else '25+'
        end as age_group,
        geslacht,
        provincie_code,
        nik_region,
        in_steekproef,
        cast(insured_days as integer) as insured_days,
        insured_1july,
        under18_in_year,
        died_in_year
    from aged
)

select * from final
