-- transition_panel_use: care of the cohort members per event month and outcome.
-- Grain: one row per selected person (transition_cohort_persons.selected) x event month in
--        -months_before .. followup_end x outcome with at least one matching mart row.
-- The months without care are implied: the panel grid is transition_cohort_months up to
-- followup_end, and an outcome absent there means no use.
-- Inputs: mart_person_month (net of credits; volume and cost pro rata by days of a line in the
--         month), transition_cohort_persons, and the temp table _kpz_transition_outcomes (the
--         versioned outcome definitions: outcome, domain, subdomain (NULL = every), financing
--         (NULL = both), volume_measure (volume, n_lines, none)).
-- Columns: persoon_id, event_month, outcome, volume (NULL for volume_measure none), cost (NULL
--          when the mart rows carry no cost, e.g. hospital activities), n_rows (mart rows matched)
--
-- Plan
--   1. The selected persons with their window; their mart rows inside it.
--   2. Match every mart row to every outcome component it satisfies (components of one outcome
--      never overlap: the definition loader refuses that, so a row counts once per outcome).
--   3. Sum per person x event month x outcome, adding the rows in the order of their values:
--      a parallel hash aggregate adds them in whatever order the threads deliver, and floating
--      point sums then differ in the last digits from run to run; ordered, every run gives the
--      same bits (what the result cache of the analyses and reproducibility rely on).
with

selected as (
    select persoon_id, month_18, followup_end
    from transition_cohort_persons
    where selected
),

outcomes as (
    select outcome, domain, subdomain, financing, volume_measure
    from _kpz_transition_outcomes
),

-- 1. care inside the window

care as (
    select
        s.persoon_id,
        date_diff('month', s.month_18, pm.month) as event_month,
        pm.domain,
        pm.subdomain,
        pm.financing,
        pm.n_lines,
        pm.volume,
        pm.cost
    from mart_person_month as pm
    inner join selected as s on s.persoon_id = pm.persoon_id
    where pm.month >= s.month_18 - to_months(getvariable('months_before'))
        and pm.month <= s.month_18 + to_months(s.followup_end)
),

-- 2. rows to outcomes

matched as (
    select
        c.persoon_id,
        c.event_month,
        o.outcome,
        case o.volume_measure
            when 'volume' then c.volume
            when 'n_lines' then cast(c.n_lines as double)
        end as volume,
        c.cost
    from care as c
    inner join outcomes as o
        on o.domain = c.domain
        and (o.subdomain is null or o.subdomain = c.subdomain)
        and (o.financing is null or o.financing = c.financing)
),

-- 3. per person x month x outcome

final as (
    select
        persoon_id,
        event_month,
        outcome,
        sum(volume order by volume) as volume,
        sum(cost order by cost) as cost,
        count(*) as n_rows
    from matched
    group by persoon_id, event_month, outcome
)

select * from final
