-- purpose: reports/sql/ltv_summary.sql without the self-join: churn from previous_payment_month
-- grain: one row for the selected range
-- params: first_month, last_month, current_month
-- churn(m) = (paying(m-1) - retained(m)) / paying(m-1), retained(m) = paying in m whose
-- previous paying month is m-1: one pass over the months' rows, no sort, no join.
with full_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date,
        least(%(last_month)s::date, (%(current_month)s::date - interval '1 month')::date),
        interval '1 month'
    ) as generated_month
),

monthly_totals as (
    select
        month,
        sum(net) as net,
        count(*) filter (where charge_count > 0) as paying_customers,
        count(*) filter (
            where charge_count > 0 and previous_payment_month = (month - interval '1 month')::date
        ) as retained_customers
    from bench_experiment.fact_customer_month
    where month between (%(first_month)s::date - interval '1 month')::date and %(last_month)s::date
    group by month
),

monthly_rates as (
    select
        full_months.month,
        this_month.net::numeric / nullif(this_month.paying_customers, 0) as arpu,
        (previous_month.paying_customers - coalesce(this_month.retained_customers, 0))::numeric
        / nullif(previous_month.paying_customers, 0) as churn_rate
    from full_months
    left join monthly_totals as this_month on this_month.month = full_months.month
    left join monthly_totals as previous_month
        on previous_month.month = (full_months.month - interval '1 month')::date
),

averages as (
    select
        count(*)::integer as full_months,
        count(arpu)::integer as arpu_months,
        count(churn_rate)::integer as churn_months,
        avg(arpu) as average_arpu,
        avg(churn_rate) as average_churn
    from monthly_rates
)

select
    full_months,
    arpu_months,
    churn_months,
    round(average_arpu, 2) as average_arpu,
    round(average_churn, 6) as average_churn,
    round(average_arpu / nullif(average_churn, 0), 2) as ltv
from averages
