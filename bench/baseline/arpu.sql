-- baseline (original analysis, query 3): ARPU, translated faithfully to this schema
-- purpose: average revenue per user, recomputed from raw transactions on every run
-- grain: one row (the average over "visit months" of the per-month average revenue per user)
-- translation: Transactions_Fact -> fact_transaction (charges only: the original table held
--   only CHARGE/REFUND movements and ARPU summed the charges), User_Saved_Payment_Modes ->
--   dim_payment_method, Users -> dim_customer; amount DECIMAL(19,4) -> amount / 100.0
-- defects kept on purpose (they are the baseline): DATE_PART('MONTH', AGE(..)) keeps only
--   the month part of the interval, so months a year apart share a bucket; refunds ignored
-- params: as_of (the analysis' fixed date)
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

monthly_arpu as (
    select visit_month, avg(revenue) as arpu
    from user_visit_month_revenue
    group by visit_month
)

select avg(arpu) as arpu
from monthly_arpu
