-- purpose: how many customers the LTV page's customer table holds (its pagination)
-- grain: one row: customer_count
-- params: first_month, last_month (first days of months)
-- The customers of customer_values.sql: those whose whole history ends by last_month and who
-- paid from first_month on, summed from fact_last_payment_month (a row per last paying month
-- and last activity month, not per customer), and those with movements after last_month
-- (a range in the past) whose history to last_month has a payment from first_month on.
with lifetime_customers as (
    select coalesce(sum(counts.customers), 0) as customers
    from fact_last_payment_month as counts
    where counts.last_activity_month <= %(last_month)s::date
        and counts.last_payment_month >= %(first_month)s::date
),

customers_active_later as (
    select count(*) as customers
    from fact_customer_month as customer_month
    where customer_month.month <= %(last_month)s::date
        and customer_month.next_month > %(last_month)s::date
        and customer_month.last_payment_month_to_date >= %(first_month)s::date
)

select (lifetime_customers.customers + customers_active_later.customers)::integer as customer_count
from lifetime_customers
cross join customers_active_later
