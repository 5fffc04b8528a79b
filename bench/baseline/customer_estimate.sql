-- baseline (original analysis, query 9): per-customer spend estimate
-- purpose: per user, days since first and last transaction, count and average amount over
--   the last year, "monthly spend" and the next-month estimate
-- grain: one row per user with a charge in the year before as_of
-- translation: see arpu.sql
-- defects kept on purpose: the estimate grows with months since the last visit. The original
--   divided by zero when the first and last transaction fall in the same 30 days (an error);
--   nullif lets the timed run finish.
-- params: as_of
with user_activity as (
    select
        customer.user_id,
        date_part('day', %(as_of)s::timestamptz - min(txn.occurred_at)) as days_since_first,
        date_part('day', %(as_of)s::timestamptz - max(txn.occurred_at)) as days_since_last,
        count(*) as transactions,
        avg(txn.amount / 100.0) as average_amount
    from fact_transaction as txn
    inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
    inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
    where
        txn.transaction_type = 'charge'
        and txn.status = 'succeeded'
        and txn.occurred_at >= %(as_of)s::timestamptz - interval '1 year'
    group by customer.user_id
),

monthly_spend as (
    select
        user_id,
        days_since_first,
        days_since_last,
        transactions,
        average_amount,
        transactions
        / nullif(trunc((days_since_first - days_since_last) / 30), 0)
        * average_amount as monthly_spend
    from user_activity
)

select
    user_id,
    days_since_first,
    days_since_last,
    transactions,
    average_amount,
    monthly_spend,
    trunc(days_since_last / 30) * 0.9 * monthly_spend as next_month_estimate
from monthly_spend
order by user_id
