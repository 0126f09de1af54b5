-- landscape_hospital_type: where the LLC case-years get hospital care, by type of institution.
-- Grain: one row per LLC case-year (_kpz_landscape_cases) x institution_type (umc, algemeen,
--        categoraal) with hospital care (a DOT line or a zorgactiviteit) in that calendar year.
-- Inputs: mart_person_month (domains hospital and hospital_activity carry the institution_type
--         of their DOT line), _kpz_landscape_cases.
-- Columns: persoon_id, jaar, institution_type, n_months (months with hospital care there),
--          palliative_activities (paediatric palliative care zorgactiviteiten there; 0 when none)
with

cases as (
    select persoon_id, jaar
    from _kpz_landscape_cases
),

hospital as (
    select
        pm.persoon_id,
        year(pm.month) as jaar,
        pm.month,
        pm.institution_type,
        case when pm.domain = 'hospital_activity' and pm.subdomain = 'palliative_care'
            then pm.volume else 0 end as palliative
    from mart_person_month as pm
    where pm.domain in ('hospital', 'hospital_activity')
),

final as (
    select
        h.persoon_id,
        h.jaar,
        coalesce(h.institution_type, 'unknown') as institution_type,
        count(distinct h.month) as n_months,
        sum(h.palliative) as palliative_activities
    from hospital as h
    inner join cases as c
        on c.persoon_id = h.persoon_id and c.jaar = h.jaar
    group by h.persoon_id, h.jaar, coalesce(h.institution_type, 'unknown')
)

select * from final
