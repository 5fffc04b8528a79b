-- purpose: net revenue, paying customers, ARPU and churn per month
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months)
-- ARPU(m) = net revenue in m / customers paying in m (minor units, 2 decimals);
-- churn(m) = share of customers paying in m-1 who do not pay in m (6 decimals).
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

customer_months_in_range as (
    select customer_month.customer_id, customer_month.month, customer_month.net, customer_month.charge_count
    from fact_customer_month as customer_month
    where customer_month.month between (%(first_month)s::date - interval '1 month')::date
        and %(last_month)s::date
),

monthly_revenue as (
    select
        month,
        sum(net) as net_revenue,
        count(*) filter (where charge_count > 0) as paying_customers
    from customer_months_in_range
    group by month
),

paying_customer_months as (
    select customer_id, month
    from customer_months_in_range
    where charge_count > 0
),

monthly_churn as (
    select
        (previous_month.month + interval '1 month')::date as month,
        count(*) as previously_paying_customers,
        count(*) filter (where this_month.customer_id is null) as churned_customers
    from paying_customer_months as previous_month
    left join paying_customer_months as this_month
        on this_month.customer_id = previous_month.customer_id
        and this_month.month = (previous_month.month + interval '1 month')::date
    group by previous_month.month
)

select
    report_months.month,
    coalesce(monthly_revenue.net_revenue, 0)::bigint as net_revenue,
    coalesce(monthly_revenue.paying_customers, 0)::integer as paying_customers,
    round(monthly_revenue.net_revenue::numeric / nullif(monthly_revenue.paying_customers, 0), 2) as arpu,
    coalesce(monthly_churn.previously_paying_customers, 0)::integer as previously_paying_customers,
    coalesce(monthly_churn.churned_customers, 0)::integer as churned_customers,
    round(
        monthly_churn.churned_customers::numeric / nullif(monthly_churn.previously_paying_customers, 0),
        6
    ) as churn_rate
from report_months
left join monthly_revenue on monthly_revenue.month = report_months.month
left join monthly_churn on monthly_churn.month = report_months.month
order by report_months.month
