-- mart_wlz_indication
-- Grain: one row per accepted Wlz indication (core_wlz_indicaties), clipped to the extract
-- period and to death: an open end (no einddatum) becomes period_end, and an indication ends
-- on the day of death. An indication that starts after the person's death (a delivery error)
-- is empty after clipping and left out.
-- grondslag is the delivered one; severe_multiple_disability comes from ref_wlz_zorgprofielen
-- and is NULL for a zorgprofiel missing there (unknown, not false).

with

extract as (
    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from meta_extract
),

indications as (
    select indicatie_id, persoon_id, zorgprofiel, grondslag, begindatum, einddatum
    from core_wlz_indicaties
),

persons as (
    select persoon_id, overlijdensdatum
    from core_personen
),

zorgprofielen as (
    select zorgprofiel, severe_multiple_disability
    from ref_wlz_zorgprofielen
),

clipped as (
    select
        i.persoon_id,
        i.indicatie_id,
        i.zorgprofiel,
        i.grondslag,
        greatest(i.begindatum, e.period_start) as begindatum,
        -- least() skips NULLs: no death date means no death censoring.
        least(coalesce(i.einddatum, e.period_end), e.period_end, p.overlijdensdatum) as einddatum
    from indications as i
    cross join extract as e
    inner join persons as p on p.persoon_id = i.persoon_id
),

final as (
    select
        c.persoon_id,
        c.indicatie_id,
        c.zorgprofiel,
        c.grondslag,
        z.severe_multiple_disability,
        c.begindatum,
        c.einddatum
    from clipped as c
    left join zorgprofielen as z on z.zorgprofiel = c.zorgprofiel
    where c.begindatum <= c.einddatum
)

select * from final
