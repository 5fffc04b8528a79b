-- baseline (original analysis, query 5): LTV = average ARPU / average churn
-- purpose: lifetime value, recomputing ARPU (query 3) and churn (query 4) from raw rows
-- grain: one row
-- translation: see arpu.sql and churn.sql; both recomputed inside this query as the
--   original did
-- defects kept on purpose: integer-division churn; month-part-only visit months. The
--   original divided by a churn of 0 here (an error); nullif lets the timed run finish.
-- params: as_of
with user_visit_month_revenue as (
    select
        customer.user_id,
        date_part('month', age(%(as_of)s::timestamptz, txn.occurred_at)) as visit_month,
        sum(txn.amount / 100.0) as revenue
    from fact_transaction as txn
    inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
    inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
    where
        txn.transaction_type = 'charge'
        and txn.status = 'succeeded'
        and txn.occurred_at >= %(as_of)s::timestamptz - interval '1 year'
    group by customer.user_id, visit_month
),

average_arpu as (
    select avg(arpu) as arpu
    from (
        select visit_month, avg(revenue) as arpu
        from user_visit_month_revenue
        group by visit_month
    ) as monthly_arpu
),

visit_log as (
    select distinct
        customer.user_id,
        date_part('month', age(%(as_of)s::timestamptz, txn.occurred_at)) as visit_month
    from fact_transaction as txn
    inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
    inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
    where txn.transaction_type = 'charge' and txn.status = 'succeeded'
),

monthly_churn as (
    select
        this_month.visit_month,
        count(*) filter (where next_month.user_id is null) / count(*) as churn
    from visit_log as this_month
    left join visit_log as next_month
        on next_month.user_id = this_month.user_id
        and next_month.visit_month = this_month.visit_month - 1
    group by this_month.visit_month
),

average_churn as (
    select avg(churn) as churn
    from monthly_churn
)

select
    average_arpu.arpu,
    average_churn.churn,
    average_arpu.arpu / nullif(average_churn.churn, 0) as ltv
from average_arpu
cross join average_churn
