-- purpose: the dimension rows and the time span that these movements need
-- grain: one row per (customer, payment method) among the movements
-- params: ids (text[]: Stripe ids of charges, refunds or disputes)
select
    txn.customer_id,
    txn.payment_method_id,
    min(txn.occurred_at) as first_occurred_at,
    max(txn.occurred_at) as last_occurred_at
from fact_transaction as txn
where txn.stripe_id = any(%(ids)s::text[])
group by txn.customer_id, txn.payment_method_id
