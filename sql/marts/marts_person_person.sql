-- mart_person
-- Grain: one row per accepted person (core_personen).
-- Ages use the 15th of geboortemaand (birth_ref_date); month_18 is the first day of the month
-- of the 18th birthday (geboortemaand + 18 years).
-- nik_region: the province default (ref_regions row without gemeente_code), the same rule as
-- mart_denominator, so numerators and denominators of regional rates agree (populatie has no
-- municipality). nik_region_gemeente: the municipality's region when ref_regions has a row for
-- gemeente_code, else the province default; for counts, never for rates.
-- insured_from / insured_to: first and last insured day within the extract period, death
-- applied (mart_insured_period); NULL for a person never insured within the period.

with

persons as (
    select
        persoon_id,
        geboortemaand,
        geslacht,
        provincie_code,
        gemeente_code,
        overlijdensdatum,
        in_steekproef
    from core_personen
),

insured_periods as (
    select persoon_id, begindatum, einddatum
    from mart_insured_period
),

region_by_gemeente as (
    select gemeente_code, nik_region
    from ref_regions
    where gemeente_code is not null
),

region_by_province as (
    select provincie_code, nik_region
    from ref_regions
    where gemeente_code is null
),

insured_span as (
    select
        persoon_id,
        min(begindatum) as insured_from,
        max(einddatum) as insured_to
    from insured_periods
    group by persoon_id
),

final as (
    select
        p.persoon_id,
        p.geboortemaand,
        cast(p.geboortemaand + interval 14 day as date) as birth_ref_date,
        cast(p.geboortemaand + interval 18 year as date) as month_18,
        p.geslacht,
        p.provincie_code,
        p.gemeente_code,
        rp.nik_region as nik_region,
        coalesce(rg.nik_region, rp.nik_region) as nik_region_gemeente,
        p.overlijdensdatum,
        p.in_steekproef,
        i.insured_from,
        i.insured_to
    from persons as p
    left join region_by_gemeente as rg on rg.gemeente_code = p.gemeente_code
    left join region_by_province as rp on rp.provincie_code = p.provincie_code
    left join insured_span as i on i.persoon_id = p.persoon_id
)

select * from final
