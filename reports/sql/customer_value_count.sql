-- purpose: how many customers the LTV page's customer table holds (its pagination)
-- grain: one row: customer_count
-- params: first_month, last_month (first days of months)
-- The customers of customer_values.sql: those whose whole history ends by last_month and who
-- paid from first_month on (an index-only scan of fact_cl_last_payment_activity_idx), and
-- those with movements after last_month whose history to last_month has a payment from
-- first_month on.
with customer_history as (
    select lifetime.customer_id
    from fact_customer_lifetime as lifetime
    where lifetime.last_activity_month <= %(last_month)s::date
        and lifetime.last_payment_month >= %(first_month)s::date
    union all
    select customer_month.customer_id
    from fact_customer_month as customer_month
    where customer_month.month <= %(last_month)s::date
        and customer_month.next_month > %(last_month)s::date
        and customer_month.last_payment_month_to_date >= %(first_month)s::date
)

select count(*)::integer as customer_count
from customer_history
