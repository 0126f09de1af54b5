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
--   1. Expand every insured period (already clipped to the period and to death) to the calendar
--      years it overlaps, with the number of its days in each year.
--   2. Sum days per person-year (periods of one person do not overlap).
--   3. Age in year Y = completed years on 1 July of Y counted from the 15th of the birth month,
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

period_years as (
    select
        i.persoon_id,
        unnest(generate_series(year(i.begindatum), year(i.einddatum))) as jaar,
        i.begindatum,
        i.einddatum
    from insured as i
    where i.begindatum <= i.einddatum
),

period_days as (
    select
        persoon_id,
        cast(jaar as integer) as jaar,
        greatest(begindatum, make_date(cast(jaar as integer), 1, 1)) as first_day,
        date_diff(
            'day',
            greatest(begindatum, make_date(cast(jaar as integer), 1, 1)),
            least(einddatum, make_date(cast(jaar as integer), 12, 31))
        ) + 1 as days,
        make_date(cast(jaar as integer), 7, 1) between begindatum and einddatum as on_1july
    from period_years
),

person_year as (
    select persoon_id, jaar, sum(days) as insured_days, min(first_day) as first_insured_day,
        bool_or(on_1july) as insured_1july
    from period_days
    group by persoon_id, jaar
),

aged as (
    select
        py.persoon_id,
        py.jaar,
        greatest(
            0,
            py.jaar - year(p.geboortemaand) - case when month(p.geboortemaand) >= 7 then 1 else 0 end
        ) as leeftijd,
        p.geslacht,
        p.provincie_code,
        p.nik_region,
        p.in_steekproef,
        py.insured_days,
        py.insured_1july,
        -- IKZ/MKV exists only before the 18th birthday (15th of the birth month + 18 years)
        py.first_insured_day < make_date(year(p.geboortemaand) + 18, month(p.geboortemaand), 15)
            as under18_in_year,
        coalesce(year(p.overlijdensdatum) = py.jaar, false) as died_in_year
    from person_year as py
    inner join persons as p
        on py.persoon_id = p.persoon_id
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
