-- purpose: MRR cohort retention: per cohort (month of first MRR) and month, the cohort's MRR,
--   gross retained MRR and customers with MRR at the month's end, and the net and gross MRR
--   retention against the cohort month
-- grain: one row per cohort month × month, cohorts first_month to last_month, months from the
--   cohort month to last_month
-- params: first_month, last_month (first days of months)
-- Reads mart_mrr_cohort's monthly changes; running sums give the values. Retention has 6
-- decimals; none when the cohort had no MRR at its month's end.
with cohort_changes as (
    select
        cohort.cohort_month,
        cohort.month,
        cohort.mrr_change,
        cohort.gross_mrr_change,
        cohort.customers_change
    from mart_mrr_cohort as cohort
    where
        cohort.cohort_month between %(first_month)s::date and %(last_month)s::date
        and cohort.month <= %(last_month)s::date
),

cohort_grid as (
    select cohorts.cohort_month, series.month::date as month
    from (select distinct cohort_changes.cohort_month from cohort_changes) as cohorts
    cross join lateral generate_series(
        cohorts.cohort_month, %(last_month)s::date, interval '1 month'
    ) as series (month)
),

cohort_values as (
    select
        cohort_grid.cohort_month,
        cohort_grid.month,
        sum(coalesce(cohort_changes.mrr_change, 0)) over cohort_history as mrr,
        sum(coalesce(cohort_changes.gross_mrr_change, 0)) over cohort_history as gross_mrr,
        sum(coalesce(cohort_changes.customers_change, 0)) over cohort_history as customers
    from cohort_grid
    left join cohort_changes
        on cohort_changes.cohort_month = cohort_grid.cohort_month
        and cohort_changes.month = cohort_grid.month
    window cohort_history as (partition by cohort_grid.cohort_month order by cohort_grid.month)
)

select
    cohort_values.cohort_month,
    cohort_values.month,
    (extract(year from age(cohort_values.month, cohort_values.cohort_month)) * 12
        + extract(month from age(cohort_values.month, cohort_values.cohort_month)))::integer
        as months_since,
    cohort_values.mrr,
    cohort_values.gross_mrr,
    cohort_values.customers,
    round(cohort_values.mrr::numeric / nullif(first_value(cohort_values.mrr) over cohort_row, 0), 6)
        as net_retention,
    round(
        cohort_values.gross_mrr::numeric / nullif(first_value(cohort_values.mrr) over cohort_row, 0),
        6
    ) as gross_retention
from cohort_values
window cohort_row as (partition by cohort_values.cohort_month order by cohort_values.month)
order by cohort_values.cohort_month, cohort_values.month
