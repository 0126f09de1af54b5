-- cohort_llc_group_year: in which calendar years a person has an LLC-coded hospital line, per
-- diagnostic group.
-- Grain: one row per person × calendar year of the extract period × diagnostic group in which at
--        least one LLC-coded line (cohort_llc_diagnosis) overlaps the year.
-- Columns: persoon_id, jaar, diagnostic_group, n_lines
-- A line counts in every year its [begindatum, einddatum] overlaps, clipped to the extract period.
with

lines as (
    select persoon_id, declaratie_id, begindatum, einddatum, diagnostic_group
    from cohort_llc_diagnosis
),

period as (
    select period_start, period_end from meta_extract
),

clipped as (
    select
        l.persoon_id,
        l.declaratie_id,
        l.diagnostic_group,
        greatest(l.begindatum, p.period_start) as start_date,
        least(l.einddatum, p.period_end) as end_date
    from lines as l
    cross join period as p
),

line_years as (
    select
        persoon_id,
        declaratie_id,
        diagnostic_group,
        unnest(generate_series(year(start_date), year(end_date))) as jaar
    from clipped
    where start_date <= end_date
),

final as (
    select persoon_id, cast(jaar as integer) as jaar, diagnostic_group,
        count(distinct declaratie_id) as n_lines
    from line_years
    group by persoon_id, jaar, diagnostic_group
)

select * from final
