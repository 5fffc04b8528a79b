-- purpose: LTV = average ARPU / average churn over the selected full months, with its inputs
-- grain: one row for the selected range
-- params: first_month, last_month, current_month (first days of months; months from
--   current_month on are not full yet and are left out)
-- Months without paying customers have no ARPU, months without customers paying the month
-- before have no churn; each average skips its undefined months. No churn -> no LTV.
with full_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date,
        least(%(last_month)s::date, (%(current_month)s::date - interval '1 month')::date),
        interval '1 month'
    ) as generated_month
),

customer_months_in_range as (
    select customer_month.customer_id, customer_month.month, customer_month.net, customer_month.charge_count
    from fact_customer_month as customer_month
    where customer_month.month between (%(first_month)s::date - interval '1 month')::date
        and %(last_month)s::date
),

monthly_arpu as (
    select
        month,
        sum(net)::numeric / nullif(count(*) filter (where charge_count > 0), 0) as arpu
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
        (count(*) filter (where this_month.customer_id is null))::numeric / count(*) as churn_rate
    from paying_customer_months as previous_month
    left join paying_customer_months as this_month
        on this_month.customer_id = previous_month.customer_id
        and this_month.month = (previous_month.month + interval '1 month')::date
    group by previous_month.month
),

averages as (
    select
        count(*)::integer as full_months,
        count(monthly_arpu.arpu)::integer as arpu_months,
        count(monthly_churn.churn_rate)::integer as churn_months,
        avg(monthly_arpu.arpu) as average_arpu,
        avg(monthly_churn.churn_rate) as average_churn
    from full_months
    left join monthly_arpu on monthly_arpu.month = full_months.month
    left join monthly_churn on monthly_churn.month = full_months.month
)

select
    full_months,
    arpu_months,
    churn_months,
    round(average_arpu, 2) as average_arpu,
    round(average_churn, 6) as average_churn,
    round(average_arpu / nullif(average_churn, 0), 2) as ltv
from averages
