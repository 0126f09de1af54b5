-- transition_cohort_months: the observable months of each candidate's window.
-- Grain: one row per candidate person x event month in -months_before .. months_after - 1 in
--        which the person is insured (and so alive) on at least one day (mart_insured_period is
--        clipped to death and to the period): the rule of mart_person_month.
-- Only candidates that passed every step of transition_cohort_candidates are expanded, and of the
-- comparison candidates only the first comparison_prefix in the seeded order (the analysis
-- widens the prefix when it held too few eligible persons): the cap keeps the expansion small
-- in a national population extract.
-- Parameters: months_before, months_after, comparison_prefix.
-- Columns: persoon_id, event_month (months since M18), month (first day of the calendar month)
with

candidates as (
    select persoon_id, cohort, month_18, comparison_rank
    from transition_cohort_candidates
    where step_found_by and step_window and step_alive_at_18
        and (cohort = 'llc' or comparison_rank <= getvariable('comparison_prefix'))
),

insured_periods as (
    select persoon_id, begindatum, einddatum
    from mart_insured_period
),

window_months as (
    select
        c.persoon_id,
        c.month_18,
        cast(unnest(generate_series(
            greatest(cast(date_trunc('month', ip.begindatum) as date),
                     c.month_18 - to_months(getvariable('months_before'))),
            least(cast(date_trunc('month', ip.einddatum) as date),
                  c.month_18 + to_months(getvariable('months_after') - 1)),
            interval 1 month
        )) as date) as month
    from candidates as c
    inner join insured_periods as ip
        on ip.persoon_id = c.persoon_id
        and ip.einddatum >= c.month_18 - to_months(getvariable('months_before'))
        and ip.begindatum < c.month_18 + to_months(getvariable('months_after'))
),

final as (
    select distinct
        persoon_id,
        date_diff('month', month_18, month) as event_month,
        month
    from window_months
)

select * from final
