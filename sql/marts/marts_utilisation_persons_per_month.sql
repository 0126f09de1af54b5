-- mart_persons_per_month
-- Grain: one row per calendar month x domain with care in mart_person_month: the persons with
-- care in that month and domain (each counted once, whatever its subdomains), their lines
-- (n_lines summed) and cost.
--
-- rollup of: mart_person_month (summed over parts: persons, n_lines, cost)
-- At national scale warehouse/marts.py runs this query on each person part of mart_person_month
-- right after that part is written (on the part's rows only) and adds the parts up. That is
-- exact: the parts hold disjoint persons, so a distinct count of persons is a sum over the
-- parts, as are the lines and the cost. Counting the 220 million rows of the whole table at
-- once took 70 s at scale 1 (report 01 did so); per part it adds about 2 s.
-- Cost is summed as a fixed-point decimal so that the total does not depend on the order the
-- threads add in (an ingest is reproducible bit for bit, issue 16).

with

person_months as (
    select month, domain, persoon_id, n_lines, cost
    from mart_person_month
),

final as (
    select
        month,
        domain,
        count(distinct persoon_id) as persons,
        sum(n_lines) as n_lines,
        cast(sum(cast(cost as decimal(38, 10))) as double) as cost
    from person_months
    group by month, domain
)

select * from final
