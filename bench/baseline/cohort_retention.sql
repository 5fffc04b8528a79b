-- baseline (original analysis, query 8): cohort retention with the quadratic self-join
-- purpose: per cohort (first visit month) and month difference, users retained / cohort size
-- grain: one row per cohort and month difference
-- translation: see arpu.sql
-- defects kept on purpose: visit_log is joined to itself on every later month of the same
--   user (quadratic in months per user); integer division makes retention 0 or 1;
--   DATE_PART('MONTH', AGE(..)) visit months
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

first_visit as (
    -- months count back from as_of: the first visit is the largest number
    select user_id, max(visit_month) as cohort_month
    from visit_log
    group by user_id
),

cohort_size as (
    select cohort_month, count(*) as users
    from first_visit
    group by cohort_month
),

retained_users as (
    select
        first_visit.cohort_month,
        earlier_visit.visit_month - later_visit.visit_month as month_difference,
        count(distinct later_visit.user_id) as users
    from visit_log as earlier_visit
    inner join first_visit on first_visit.user_id = earlier_visit.user_id
    left join visit_log as later_visit
        on later_visit.user_id = earlier_visit.user_id
        and later_visit.visit_month < earlier_visit.visit_month
    group by first_visit.cohort_month, month_difference
)

select
    retained_users.cohort_month,
    retained_users.month_difference,
    retained_users.users,
    retained_users.users / cohort_size.users as retention
from retained_users
inner join cohort_size on cohort_size.cohort_month = retained_users.cohort_month
order by retained_users.cohort_month, retained_users.month_difference
