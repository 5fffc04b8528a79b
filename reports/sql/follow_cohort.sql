-- purpose: follow one group of customers through the months after a chosen month
-- grain: one row per calendar month from cohort_month to last_month
-- params: cohort_month, last_month (first days of months), paid_in_month (bool):
--   false = the cohort (customers whose first succeeded charge is in cohort_month),
--   true = every customer paying in cohort_month ("customers returning from January")
-- Both groups are pre-aggregated: the cohort in fact_cohort_month, the customers paying in a
-- month in fact_follow_month; in the chosen month itself, everyone in the group pays.
with followed_months as (
    select generated_month::date as month
    from generate_series(
        %(cohort_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

followed_activity as (
    select cohort_month.month, cohort_month.paying_customers, cohort_month.net as net_revenue
    from fact_cohort_month as cohort_month
    where not %(paid_in_month)s
        and cohort_month.cohort_month = %(cohort_month)s::date
        and cohort_month.month between %(cohort_month)s::date and %(last_month)s::date
    union all
    select follow_month.month, follow_month.paying_customers, follow_month.net as net_revenue
    from fact_follow_month as follow_month
    where %(paid_in_month)s
        and follow_month.paid_month = %(cohort_month)s::date
        and follow_month.month between %(cohort_month)s::date and %(last_month)s::date
),

followed_size as (
    select coalesce(sum(paying_customers), 0) as followed_customers
    from followed_activity
    where month = %(cohort_month)s::date
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
