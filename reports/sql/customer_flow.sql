-- purpose: each month's paying customers split into new, retained and returning, plus churned
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months)
-- new: first succeeded charge in the month; retained: paid the month before too;
-- returning: paid before, but not the month before; churned: paid the month before, not this one.
-- Reads fact_month, where the refresh of fact_customer_month keeps these counts per month.
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
)

select
    report_months.month,
    coalesce(month_totals.new_customers, 0)::integer as new_customers,
    coalesce(month_totals.retained_customers, 0)::integer as retained_customers,
    coalesce(month_totals.returning_customers, 0)::integer as returning_customers,
    coalesce(month_totals.churned_customers, 0)::integer as churned_customers
from report_months
left join fact_month as month_totals on month_totals.month = report_months.month
order by report_months.month
