-- baseline (original analysis, query 4): churn by "visit month", with the self-join
-- purpose: share of users active in a month who are not active the next month
-- grain: one row per visit month (months before as_of, month part of AGE only)
-- translation: see arpu.sql; a user is "active" with any charge
-- defects kept on purpose: integer division (churn is 0 unless every user churns);
--   DATE_PART('MONTH', AGE(..)) folds months of different years into one bucket
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

visits_with_next_month as (
    select
        this_month.visit_month,
        this_month.user_id,
        next_month.user_id as next_month_user_id
    from visit_log as this_month
    -- "next month" is one month less ago
    left join visit_log as next_month
        on next_month.user_id = this_month.user_id
        and next_month.visit_month = this_month.visit_month - 1
)

select
    visit_month,
    count(*) filter (where next_month_user_id is null) / count(*) as churn
from visits_with_next_month
group by visit_month
order by visit_month
