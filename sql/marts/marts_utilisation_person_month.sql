-- mart_person_month
-- Grain: one row per person x month x domain x subdomain x financing x institution_type with
-- care in that month, only for months in which the person is insured and alive on at least
-- one day (mart_insured_period is already clipped to the extract period and to death).
--
-- A claim line is active in month M when its period, clipped to the extract period, overlaps
-- M. n_lines counts the line once in every active month; volume and cost are split pro rata:
-- share = (days of the line in M within the extract period) / (all days of the line), so the
-- shares of a line add up to its totals within the period. Whole months are kept or dropped:
-- a month in which the person is insured on at least one day keeps the line's full share.
--
-- | domain            | subdomain                                  | financing       | institution_type |
-- | hospital          | specialism_group (ref_specialismen; a      | NULL            | instelling_type  |
-- |                   | missing code: 0316 paediatrics, else adult)|                 |                  |
-- | hospital_activity | category (ref_zorgactiviteiten; a missing  | NULL            | instelling_type  |
-- |                   | code: other), month of datum               |                 | of its line      |
-- | zvw               | zorgsoort                                  | leveringsvorm   | NULL             |
-- | wlz               | leveringsvorm, or 'meerzorg'               | pgb / zin       | NULL             |
-- | wmo, jeugdwet     | product_group (ref_productcategorieen;     | leveringsvorm   | NULL             |
-- |                   | a missing category: overig)                |                 |                  |
-- Volume: hospital = days of the line in the month; hospital_activity = aantal (cost NULL:
-- the activity's cost is in its hospital line); zvw and wlz = aantal; wmo/jeugdwet = volume.
--
-- Plan:
--   1. Import the extract period, the insured periods, the net lines of every domain and the
--      reference tables.
--   2. Classify each line into domain/subdomain/financing/institution_type with its volume
--      and cost (hospital volume = the line's days, so its pro-rata share is its days in M).
--   3. Keep lines overlapping the extract period; clip their dates to it and number the first
--      and last month they touch (month_no = year * 12 + month - 1, integer arithmetic).
--   4. Most lines lie within one month and are not expanded; a line spanning several months
--      becomes one row per month (range over month numbers) with the days of the clipped line
--      in that month, and the pro-rata share.
--   5. Activities are point events: one row in the month of datum, within the period.
--   6. Aggregate line-months and activities to the grain (a hash aggregate that spills to disk
--      when it does not fit in memory; nothing here needs a sort or a window).
--   7. Keep only person-months with an insured (and therefore alive) day: an insured period
--      covers month_no when its first month <= month_no <= its last month.
--
-- Parts: at national scale the table is built in parts by person (warehouse/marts.py puts each
-- part's bounds into the statement; unset, the filter keeps everyone): every import of
-- person-level rows keeps the persons with kpz_part_from <= persoon_id < kpz_part_to, so every
-- aggregate and every hash join stays small enough to spill. The filter stands in the imports,
-- next to the tables, so that DuckDB applies it while scanning (below the anti join of a core
-- view, which a filter above the view would not pass).
--
-- Every CTE is read once (so DuckDB streams it rather than materialising it), except the
-- one-row extract period.

with

-- 1. imports

extract as (
    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end
    from meta_extract
),

insured_periods as (
    select persoon_id, begindatum, einddatum
    from mart_insured_period
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

dot_lines as (
    select declaratie_id, persoon_id, instelling_type, specialisme, begindatum, einddatum, bedrag
    from core_dot
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

dot_activities as (
    select declaratie_id, persoon_id, zorgactiviteit_code, datum, aantal
    from core_dot_zorgactiviteiten
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

activity_lines as (
    -- an activity belongs to its line's person: the lines of this part suffice
    select declaratie_id, instelling_type
    from core_dot
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

zvw_lines as (
    select persoon_id, zorgsoort, leveringsvorm, begindatum, einddatum, aantal, bedrag
    from core_zvw_overig
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

wlz_lines as (
    select persoon_id, leveringsvorm, meerzorg, begindatum, einddatum, aantal, bedrag
    from core_wlz_declaraties
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

wmo_lines as (
    select persoon_id, productcategorie, leveringsvorm, begindatum, einddatum, volume, bedrag
    from core_wmo
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

jeugdwet_lines as (
    select persoon_id, productcategorie, leveringsvorm, begindatum, einddatum, volume, bedrag
    from core_jeugdwet
    where (getvariable('kpz_part_from') is null or persoon_id >= getvariable('kpz_part_from'))
        and (getvariable('kpz_part_to') is null or persoon_id < getvariable('kpz_part_to'))
),

specialisms as (
    select specialisme, specialism_group
    from ref_specialismen
),

activity_codes as (
    select zorgactiviteit_code, category
    from ref_zorgactiviteiten
),

product_categories as (
    select law, productcategorie, product_group
    from ref_productcategorieen
),

-- 2. classify lines

classified_lines as (
    select
        d.persoon_id,
        'hospital' as domain,
        coalesce(
            s.specialism_group,
            case when d.specialisme = '0316' then 'paediatrics' else 'adult' end
        ) as subdomain,
        cast(null as varchar) as financing,
        d.instelling_type as institution_type,
        d.begindatum,
        d.einddatum,
        cast(datediff('day', d.begindatum, d.einddatum) + 1 as double) as volume,
        cast(d.bedrag as double) as cost
    from dot_lines as d
    left join specialisms as s on s.specialisme = d.specialisme

    union all

    select
        z.persoon_id,
        'zvw' as domain,
        z.zorgsoort as subdomain,
        z.leveringsvorm as financing,
        cast(null as varchar) as institution_type,
        z.begindatum,
        z.einddatum,
        cast(z.aantal as double) as volume,
        cast(z.bedrag as double) as cost
    from zvw_lines as z

    union all

    select
        w.persoon_id,
        'wlz' as domain,
        case when w.meerzorg then 'meerzorg' else w.leveringsvorm end as subdomain,
        case when w.leveringsvorm = 'pgb' then 'pgb' else 'zin' end as financing,
        cast(null as varchar) as institution_type,
        w.begindatum,
        w.einddatum,
        cast(w.aantal as double) as volume,
        cast(w.bedrag as double) as cost
    from wlz_lines as w

    union all

    select
        m.persoon_id,
        'wmo' as domain,
        coalesce(pc.product_group, 'overig') as subdomain,
        m.leveringsvorm as financing,
        cast(null as varchar) as institution_type,
        m.begindatum,
        m.einddatum,
        cast(m.volume as double) as volume,
        cast(m.bedrag as double) as cost
    from wmo_lines as m
    left join product_categories as pc
        on pc.law = 'wmo' and pc.productcategorie = m.productcategorie

    union all

    select
        j.persoon_id,
        'jeugdwet' as domain,
        coalesce(pc.product_group, 'overig') as subdomain,
        j.leveringsvorm as financing,
        cast(null as varchar) as institution_type,
        j.begindatum,
        j.einddatum,
        cast(j.volume as double) as volume,
        cast(j.bedrag as double) as cost
    from jeugdwet_lines as j
    left join product_categories as pc
        on pc.law = 'jeugdwet' and pc.productcategorie = j.productcategorie
),

-- 3. clip to the extract period, number the months

clipped_lines as (
    select
        l.persoon_id,
        l.domain,
        l.subdomain,
        l.financing,
        l.institution_type,
        l.volume,
        l.cost,
        datediff('day', l.begindatum, l.einddatum) + 1 as line_days,
        greatest(l.begindatum, e.period_start) as clip_begin,
        least(l.einddatum, e.period_end) as clip_end
    from classified_lines as l
    cross join extract as e
    where l.begindatum <= e.period_end and l.einddatum >= e.period_start
),

numbered_lines as (
    select
        *,
        year(clip_begin) * 12 + month(clip_begin) - 1 as first_month_no,
        year(clip_end) * 12 + month(clip_end) - 1 as last_month_no
    from clipped_lines
),

-- 4. one row per line x month it overlaps

line_month_numbers as (
    select
        *,
        -- a line within one month keeps its row; a longer one gets a row per month
        unnest(case
            when first_month_no = last_month_no then [first_month_no]
            else range(first_month_no, last_month_no + 1)
        end) as month_no
    from numbered_lines
),

line_months as (
    select
        persoon_id,
        month_no,
        domain,
        subdomain,
        financing,
        institution_type,
        volume,
        cost,
        line_days,
        datediff(
            'day',
            greatest(clip_begin, make_date(month_no // 12, month_no % 12 + 1, 1)),
            least(clip_end, last_day(make_date(month_no // 12, month_no % 12 + 1, 1)))
        ) + 1 as days_in_month
    from line_month_numbers
),

-- 5. activities: point events in the month of datum

activity_events as (
    select
        a.persoon_id,
        year(a.datum) * 12 + month(a.datum) - 1 as month_no,
        'hospital_activity' as domain,
        coalesce(c.category, 'other') as subdomain,
        cast(null as varchar) as financing,
        d.instelling_type as institution_type,
        cast(a.aantal as double) as volume
    from dot_activities as a
    cross join extract as e
    left join activity_codes as c on c.zorgactiviteit_code = a.zorgactiviteit_code
    left join activity_lines as d on d.declaratie_id = a.declaratie_id
    where a.datum between e.period_start and e.period_end
),

-- 6. aggregate to the grain

care_months as (
    select
        persoon_id,
        month_no,
        domain,
        subdomain,
        financing,
        institution_type,
        count(*) as n_lines,
        -- Shares are summed as fixed-point decimals: a sum of doubles depends on the order the
        -- threads add them in, and an ingest must be reproducible bit for bit (issue 16).
        cast(sum(cast(volume * days_in_month / line_days as decimal(38, 10))) as double) as volume,
        cast(sum(cast(cost * days_in_month / line_days as decimal(38, 10))) as double) as cost
    from line_months
    group by persoon_id, month_no, domain, subdomain, financing, institution_type

    union all

    select
        persoon_id,
        month_no,
        domain,
        subdomain,
        financing,
        institution_type,
        count(*) as n_lines,
        sum(volume) as volume,
        cast(null as double) as cost
    from activity_events
    group by persoon_id, month_no, domain, subdomain, financing, institution_type
),

-- 7. censor by insurance and death

insured_months as (
    select
        persoon_id,
        year(begindatum) * 12 + month(begindatum) - 1 as first_month_no,
        year(einddatum) * 12 + month(einddatum) - 1 as last_month_no
    from insured_periods
),

final as (
    select
        cm.persoon_id,
        make_date(cm.month_no // 12, cm.month_no % 12 + 1, 1) as month,
        cm.domain,
        cm.subdomain,
        cm.financing,
        cm.institution_type,
        cm.n_lines,
        cm.volume,
        cm.cost
    from care_months as cm
    semi join insured_months as im
        on im.persoon_id = cm.persoon_id
        and cm.month_no between im.first_month_no and im.last_month_no
)

select * from final
