-- purpose: every payment attempt, refund and dispute movement of one customer
-- grain: one row per fact_transaction row of the customer, newest first
-- params: customer_id (Stripe id), row_limit (integer: the newest rows; null: all, the CSV)
-- settled_amount is in the settlement currency's minor units (the charged amount until the
-- balance transaction is known); amount is as charged, in `currency`.
select
    txn.occurred_at,
    txn.transaction_type,
    txn.stripe_id,
    txn.status,
    txn.amount,
    txn.currency,
    coalesce(txn.settlement_amount, txn.amount) as settled_amount,
    txn.fee,
    txn.failure_code
from fact_transaction as txn
where txn.customer_id = %(customer_id)s
order by txn.occurred_at desc, txn.transaction_sk desc
limit %(row_limit)s
