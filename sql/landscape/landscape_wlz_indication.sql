-- landscape_wlz_indication: the Wlz indications (CIZ) of the persons with an LLC case-year.
-- Grain: one row per indication in mart_wlz_indication of a person in _kpz_landscape_cases.
-- Inputs: mart_wlz_indication (clipped to the period and to death: an open end is period_end),
--         mart_person (insured_to: last insured day, death applied), meta_extract,
--         _kpz_landscape_cases.
-- Columns: persoon_id, indicatie_id, severe_multiple_disability, begindatum, einddatum,
--          length_days, complete (starts after period_start and ends before both period_end and
--          the person's last insured day: its length is not cut), gap_days (days without an
--          indication before the person's next indication; NULL for the last; negative when they
--          overlap)
--
-- Plan
--   1. The indications of the case persons, with the period and the last insured day.
--   2. Length, completeness and the start of the person's next indication (a window over one
--      person's few indications, on the case persons only).
with

persons as (
    select distinct persoon_id
    from _kpz_landscape_cases
),

extract as (
    select cast(period_start as date) as period_start, cast(period_end as date) as period_end
    from meta_extract
),

indications as (
    select
        w.persoon_id,
        w.indicatie_id,
        w.severe_multiple_disability,
        w.begindatum,
        w.einddatum,
        mp.insured_to
    from mart_wlz_indication as w
    inner join persons as p on p.persoon_id = w.persoon_id
    inner join mart_person as mp on mp.persoon_id = w.persoon_id
),

final as (
    select
        i.persoon_id,
        i.indicatie_id,
        i.severe_multiple_disability,
        i.begindatum,
        i.einddatum,
        date_diff('day', i.begindatum, i.einddatum) + 1 as length_days,
        i.begindatum > e.period_start and i.einddatum < least(e.period_end, coalesce(i.insured_to, e.period_end))
            as complete,
        date_diff('day', i.einddatum, lead(i.begindatum) over (
            partition by i.persoon_id order by i.begindatum, i.indicatie_id)) - 1 as gap_days
    from indications as i
    cross join extract as e
)

select * from final
