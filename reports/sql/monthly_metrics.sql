-- purpose: net revenue, paying customers, ARPU and churn per month, and the LTV of the range
-- grain: one row per calendar month (reporting time zone), first_month to last_month; the
--   LTV columns (full_months ... ltv) are the same on every row
-- params: first_month, last_month, current_month (first days of months; months from
--   current_month on are not full yet and stay out of the LTV averages)
-- ARPU(m) = net revenue in m / customers paying in m (minor units, 2 decimals);
-- churn(m) = share of customers paying in m-1 who do not pay in m (6 decimals);
-- LTV = average ARPU / average churn over the full months, each average skipping the months
--   where it is undefined; no churn -> no LTV.
-- Reads fact_month (one pre-aggregated row per month, kept current with fact_customer_month),
-- so the cost follows the number of months, not of customers.
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

monthly_counts as (
    select
        report_months.month,
        coalesce(this_month.net, 0) as net_revenue,
        coalesce(this_month.paying_customers, 0) as paying_customers,
        coalesce(previous_month.paying_customers, 0) as previously_paying_customers,
        coalesce(this_month.churned_customers, 0) as churned_customers
    from report_months
    left join fact_month as this_month on this_month.month = report_months.month
    left join fact_month as previous_month
        on previous_month.month = (report_months.month - interval '1 month')::date
),

monthly_rates as (
    select
        month,
        net_revenue,
        paying_customers,
        previously_paying_customers,
        churned_customers,
        net_revenue::numeric / nullif(paying_customers, 0) as arpu,
        churned_customers::numeric / nullif(previously_paying_customers, 0) as churn_rate,
        month < %(current_month)s::date as is_full_month
    from monthly_counts
),

range_averages as (
    select
        count(*) filter (where is_full_month) as full_months,
        count(arpu) filter (where is_full_month) as arpu_months,
        count(churn_rate) filter (where is_full_month) as churn_months,
        avg(arpu) filter (where is_full_month) as average_arpu,
        avg(churn_rate) filter (where is_full_month) as average_churn
    from monthly_rates
)

select
    monthly_rates.month,
    monthly_rates.net_revenue::bigint as net_revenue,
    monthly_rates.paying_customers::integer as paying_customers,
    round(monthly_rates.arpu, 2) as arpu,
    monthly_rates.previously_paying_customers::integer as previously_paying_customers,
    monthly_rates.churned_customers::integer as churned_customers,
    round(monthly_rates.churn_rate, 6) as churn_rate,
    range_averages.full_months::integer as full_months,
    range_averages.arpu_months::integer as arpu_months,
    range_averages.churn_months::integer as churn_months,
    round(range_averages.average_arpu, 2) as average_arpu,
    round(range_averages.average_churn, 6) as average_churn,
    round(range_averages.average_arpu / nullif(range_averages.average_churn, 0), 2) as ltv
from monthly_rates
cross join range_averages
order by monthly_rates.month
