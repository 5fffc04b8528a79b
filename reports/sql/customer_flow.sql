-- purpose: each month's paying customers split into new, retained and returning, plus churned
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months)
-- new: first succeeded charge in the month; retained: paid the month before too;
-- returning: paid before, but not the month before; churned: paid the month before, not this one.
-- One pass in (customer, month) order: the previous row tells whether the customer paid the
-- month before; returning = paying - new - retained, churned(m) = paying(m-1) - retained(m).
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

customer_months_in_range as (
    select
        customer_month.month,
        customer_month.first_payment_month,
        customer_month.charge_count,
        lag(customer_month.month) over customer_history as previous_row_month,
        lag(customer_month.charge_count) over customer_history as previous_row_charge_count
    from fact_customer_month as customer_month
    where customer_month.month between (%(first_month)s::date - interval '1 month')::date
        and %(last_month)s::date
    window customer_history as (partition by customer_month.customer_id order by customer_month.month)
),

monthly_kinds as (
    select
        month,
        count(*) filter (where charge_count > 0) as paying_customers,
        count(*) filter (where charge_count > 0 and first_payment_month = month) as new_customers,
        count(*) filter (
            where charge_count > 0
                and previous_row_charge_count > 0
                and previous_row_month = (month - interval '1 month')::date
        ) as retained_customers
    from customer_months_in_range
    group by month
)

select
    report_months.month,
    coalesce(this_month.new_customers, 0)::integer as new_customers,
    coalesce(this_month.retained_customers, 0)::integer as retained_customers,
    coalesce(
        this_month.paying_customers - this_month.new_customers - this_month.retained_customers, 0
    )::integer as returning_customers,
    (coalesce(previous_month.paying_customers, 0) - coalesce(this_month.retained_customers, 0))::integer
    as churned_customers
from report_months
left join monthly_kinds as this_month on this_month.month = report_months.month
left join monthly_kinds as previous_month
    on previous_month.month = (report_months.month - interval '1 month')::date
order by report_months.month
