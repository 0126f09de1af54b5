-- mart_insured_period
-- Grain: one row per person per continuous insured period, clipped to the extract period and
-- to death (insured through the day of death). begindatum and einddatum are never NULL.
--
-- Plan:
--   1. Import the extract period, the accepted persons (death date) and the insured periods.
--   2. Clip each delivered period: an open end becomes period_end; end at death; start at
--      period_start. Drop periods that are empty after clipping (wholly outside the period or
--      after death).
--   3. Merge periods that overlap or touch (the next one starts the day after the previous
--      ends): the spec promises periods do not overlap, but person-time must not count a day
--      twice if a delivery breaks that promise (gaps-and-islands with a running max).
--   4. One row per merged period.

with

extract as (
    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from meta_extract
),

persons as (
    select persoon_id, overlijdensdatum
    from core_personen
),

delivered_periods as (
    select persoon_id, begindatum, einddatum
    from core_verzekeringsperioden
),

clipped as (
    select
        dp.persoon_id,
        greatest(dp.begindatum, e.period_start) as begindatum,
        -- least() skips NULLs: no death date means no death censoring.
        least(coalesce(dp.einddatum, e.period_end), e.period_end, p.overlijdensdatum) as einddatum
    from delivered_periods as dp
    cross join extract as e
    inner join persons as p on p.persoon_id = dp.persoon_id
),

non_empty as (
    select persoon_id, begindatum, einddatum
    from clipped
    where begindatum <= einddatum
),

island_starts as (
    select
        persoon_id,
        begindatum,
        einddatum,
        case
            when begindatum <= max(einddatum) over (
                partition by persoon_id order by begindatum, einddatum
                rows between unbounded preceding and 1 preceding
            ) + 1
            then 0
            else 1
        end as starts_island
    from non_empty
),

islands as (
    select
        persoon_id,
        begindatum,
        einddatum,
        sum(starts_island) over (
            partition by persoon_id order by begindatum, einddatum
            rows between unbounded preceding and current row
        ) as island
    from island_starts
),

final as (
    select
        persoon_id,
        min(begindatum) as begindatum,
        max(einddatum) as einddatum
    from islands
    group by persoon_id, island
)

select * from final
