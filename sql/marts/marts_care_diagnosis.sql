-- mart_diagnosis
-- Grain: one row per net hospital line (core_dot) with an ICD-10 code (icd10_norm not NULL).
-- begindatum/einddatum are clipped to the extract period. A diagnosis is a fact about the
-- person, so lines are not censored by insurance or death here: the case-finding layer decides
-- which dates count. specialism_group comes from ref_specialismen; a specialism missing there
-- is 'paediatrics' for 0316 (kindergeneeskunde) and 'adult' otherwise (same rule as the
-- hospital domain of mart_person_month).

with

extract as (
    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from meta_extract
),

hospital_lines as (
    select
        persoon_id,
        declaratie_id,
        begindatum,
        einddatum,
        icd10_norm,
        specialisme,
        instelling_type
    from core_dot
    where icd10_norm is not null
),

specialisms as (
    select specialisme, specialism_group
    from ref_specialismen
),

final as (
    select
        h.persoon_id,
        h.declaratie_id,
        greatest(h.begindatum, e.period_start) as begindatum,
        least(h.einddatum, e.period_end) as einddatum,
        h.icd10_norm,
        h.specialisme,
        coalesce(
            s.specialism_group,
            case when h.specialisme = '0316' then 'paediatrics' else 'adult' end
        ) as specialism_group,
        h.instelling_type
    from hospital_lines as h
    cross join extract as e
    left join specialisms as s on s.specialisme = h.specialisme
    -- Ingest quarantines lines wholly outside the period; this guard keeps the mart correct
    -- for a core table built otherwise.
    where h.begindatum <= e.period_end and h.einddatum >= e.period_start
)

select * from final
