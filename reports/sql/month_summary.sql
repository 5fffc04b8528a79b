-- purpose: the overview's month-against-month figures (money in settlement minor units)
-- grain: one row per calendar month (reporting time zone): the given month and the one before
-- params: month (first day of the month)
-- Reads fact_month (pre-aggregated per month).
with summary_months as (
    select generated_month::date as month
    from generate_series(
        (%(month)s::date - interval '1 month')::date, %(month)s::date, interval '1 month'
    ) as generated_month
),

month_totals as (
    select
        month_row.month,
        month_row.gross,
        month_row.refunds,
        month_row.disputes,
        month_row.net,
        month_row.fees,
        month_row.paying_customers,
        month_row.new_customers,
        month_row.charge_count as succeeded_charges,
        month_row.failed_charge_count as failed_charges
    from fact_month as month_row
    where month_row.month between (%(month)s::date - interval '1 month')::date and %(month)s::date
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
