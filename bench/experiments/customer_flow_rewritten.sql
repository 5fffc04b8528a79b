-- purpose: reports/sql/customer_flow.sql without the two self-joins, from previous_payment_month
-- grain: one row per calendar month, first_month to last_month
-- params: first_month, last_month
with report_months as (
    select generated_month::date as month
    from generate_series(%(first_month)s::date, %(last_month)s::date, interval '1 month')
        as generated_month
),

monthly_kinds as (
    select
        month,
        count(*) as paying_customers,
        count(*) filter (where first_payment_month = month) as new_customers,
        count(*) filter (
            where first_payment_month <> month
            and previous_payment_month = (month - interval '1 month')::date
        ) as retained_customers,
        count(*) filter (
            where first_payment_month <> month
            and previous_payment_month < (month - interval '1 month')::date
        ) as returning_customers,
        count(*) filter (
            where previous_payment_month = (month - interval '1 month')::date
        ) as paid_both_months
    from bench_experiment.fact_customer_month
    where charge_count > 0
        and month between (%(first_month)s::date - interval '1 month')::date and %(last_month)s::date
    group by month
)

select
    report_months.month,
    coalesce(this_month.new_customers, 0)::integer as new_customers,
    coalesce(this_month.retained_customers, 0)::integer as retained_customers,
    coalesce(this_month.returning_customers, 0)::integer as returning_customers,
    coalesce(previous_month.paying_customers - coalesce(this_month.paid_both_months, 0), 0)::integer
    as churned_customers
from report_months
left join monthly_kinds as this_month on this_month.month = report_months.month
left join monthly_kinds as previous_month
    on previous_month.month = (report_months.month - interval '1 month')::date
order by report_months.month
