-- baseline (original analysis, query 7): new / retained / returning users per month, with lag
-- purpose: classify each (user, visit month) by the gap to the user's previous visit month
-- grain: one row per visit month and user type
-- translation: see arpu.sql
-- defects kept on purpose: DATE_PART('MONTH', AGE(..)) visit months (a 12-month gap looks
--   like no gap; a user active every month for two years has 12 distinct "months")
-- params: as_of
with visit_log as (
    select distinct
        customer.user_id,
        date_part('month', age(%(as_of)s::timestamptz, txn.occurred_at)) as visit_month
    from fact_transaction as txn
    inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
    inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
    where txn.transaction_type = 'charge' and txn.status = 'succeeded'
),

time_lapse as (
    select
        user_id,
        visit_month,
        -- visit months count back from as_of: the previous visit has the larger number
        lag(visit_month) over (partition by user_id order by visit_month desc) as previous_visit_month
    from visit_log
),

classified_visits as (
    select
        user_id,
        visit_month,
        case
            when previous_visit_month is null then 'new'
            when previous_visit_month - visit_month = 1 then 'retained'
            when previous_visit_month - visit_month > 1 then 'returning'
        end as user_type
    from time_lapse
)

select visit_month, user_type, count(*) as users
from classified_visits
group by visit_month, user_type
order by visit_month, user_type
