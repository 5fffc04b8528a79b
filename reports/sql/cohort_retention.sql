-- purpose: retention matrix by customers and by revenue for the cohorts of a range
-- grain: one row per cohort month (month of first succeeded charge) per months since it (k),
--   from k = 0 to last_month
-- params: first_month, last_month (first days of months)
-- retention = paying customers of the cohort in cohort month + k / cohort size;
-- revenue retention = the cohort's net revenue in month + k / its net revenue in month 0.
-- Reads fact_cohort_month (one pre-aggregated row per cohort and month).
with cohort_months_in_range as (
    select
        cohort_month.cohort_month,
        cohort_month.month,
        cohort_month.paying_customers,
        cohort_month.net
    from fact_cohort_month as cohort_month
    where cohort_month.cohort_month between %(first_month)s::date and %(last_month)s::date
        and cohort_month.month <= %(last_month)s::date
),

-- every customer of a cohort pays in its first month
cohort_sizes as (
    select cohort_month, paying_customers as cohort_customers
    from cohort_months_in_range
    where month = cohort_month and paying_customers > 0
),

cohort_month_activity as (
    select cohort_month, month, paying_customers, net as net_revenue
    from cohort_months_in_range
),

cohort_cells as (
    select cohort_sizes.cohort_month, cohort_sizes.cohort_customers, cell_month::date as month
    from cohort_sizes
    cross join lateral generate_series(
        cohort_sizes.cohort_month, %(last_month)s::date, interval '1 month'
    ) as cell_month
),

cohort_cell_values as (
    select
        cohort_cells.cohort_month,
        cohort_cells.month,
        cohort_cells.cohort_customers,
        coalesce(activity.paying_customers, 0) as paying_customers,
        coalesce(activity.net_revenue, 0) as net_revenue,
        first_value(coalesce(activity.net_revenue, 0)) over (
            partition by cohort_cells.cohort_month order by cohort_cells.month
        ) as month_zero_net_revenue
    from cohort_cells
    left join cohort_month_activity as activity
        on activity.cohort_month = cohort_cells.cohort_month and activity.month = cohort_cells.month
)

select
    cohort_month,
    (extract(year from month) * 12 + extract(month from month))::integer
    - (extract(year from cohort_month) * 12 + extract(month from cohort_month))::integer
    as months_since_first_payment,
    month,
    cohort_customers::integer as cohort_customers,
    paying_customers::integer as paying_customers,
    round(paying_customers::numeric / cohort_customers, 6) as retention_rate,
    net_revenue::bigint as net_revenue,
    month_zero_net_revenue::bigint as month_zero_net_revenue,
    round(net_revenue::numeric / nullif(month_zero_net_revenue, 0), 6) as revenue_retention_rate
from cohort_cell_values
order by cohort_month, month
