-- purpose: the overview's month-against-month figures (money in settlement minor units)
-- grain: one row per calendar month (reporting time zone): the given month and the one before
-- params: month (first day of the month)
with summary_months as (
    select generated_month::date as month
    from generate_series(
        (%(month)s::date - interval '1 month')::date, %(month)s::date, interval '1 month'
    ) as generated_month
),

month_totals as (
    select
        customer_month.month,
        sum(customer_month.gross) as gross,
        sum(customer_month.refunds) as refunds,
        sum(customer_month.disputes) as disputes,
        sum(customer_month.net) as net,
        sum(customer_month.fees) as fees,
        count(*) filter (where customer_month.charge_count > 0) as paying_customers,
        count(*) filter (
            where customer_month.first_payment_month = customer_month.month
        ) as new_customers,
        sum(customer_month.charge_count) as succeeded_charges,
        sum(customer_month.failed_charge_count) as failed_charges
    from fact_customer_month as customer_month
    where customer_month.month between (%(month)s::date - interval '1 month')::date and %(month)s::date
    group by customer_month.month
)

select
    summary_months.month,
    coalesce(month_totals.gross, 0)::bigint as gross,
    coalesce(month_totals.refunds, 0)::bigint as refunds,
    coalesce(month_totals.disputes, 0)::bigint as disputes,
    coalesce(month_totals.net, 0)::bigint as net,
    coalesce(month_totals.fees, 0)::bigint as fees,
    coalesce(month_totals.paying_customers, 0)::integer as paying_customers,
    coalesce(month_totals.new_customers, 0)::integer as new_customers,
    coalesce(month_totals.succeeded_charges, 0)::integer as succeeded_charges,
    coalesce(month_totals.failed_charges, 0)::integer as failed_charges,
    round(
        month_totals.failed_charges::numeric
        / nullif(month_totals.succeeded_charges + month_totals.failed_charges, 0),
        6
    ) as failed_payment_rate
from summary_months
left join month_totals on month_totals.month = summary_months.month
order by summary_months.month
