-- purpose: follow one group of customers through the months after a chosen month
-- grain: one row per calendar month from cohort_month to last_month
-- params: cohort_month, last_month (first days of months), paid_in_month (bool):
--   false = the cohort (customers whose first succeeded charge is in cohort_month),
--   true = every customer paying in cohort_month ("customers returning from January")
with followed_customers as (
    select customer_month.customer_id
    from fact_customer_month as customer_month
    where customer_month.month = %(cohort_month)s::date
        and customer_month.charge_count > 0
        and (%(paid_in_month)s or customer_month.first_payment_month = %(cohort_month)s::date)
),

followed_months as (
    select generated_month::date as month
    from generate_series(
        %(cohort_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

followed_activity as (
    select
        customer_month.month,
        count(*) filter (where customer_month.charge_count > 0) as paying_customers,
        sum(customer_month.net) as net_revenue
    from fact_customer_month as customer_month
    inner join followed_customers on followed_customers.customer_id = customer_month.customer_id
    where customer_month.month between %(cohort_month)s::date and %(last_month)s::date
    group by customer_month.month
),

followed_size as (
    select count(*) as followed_customers
    from followed_customers
)

select
    followed_months.month,
    followed_size.followed_customers::integer as followed_customers,
    coalesce(followed_activity.paying_customers, 0)::integer as paying_customers,
    round(
        coalesce(followed_activity.paying_customers, 0)::numeric
        / nullif(followed_size.followed_customers, 0),
        6
    ) as paying_share,
    coalesce(followed_activity.net_revenue, 0)::bigint as net_revenue
from followed_months
cross join followed_size
left join followed_activity on followed_activity.month = followed_months.month
order by followed_months.month
