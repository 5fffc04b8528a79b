-- purpose: set dim_customer.first_payment_at / last_payment_at from the succeeded charges
-- grain: one row per Stripe customer
-- params: all_rows (bool), customer_ids (text[]; ignored when all_rows)
with customer_payment_times as (
    select
        customer.stripe_id as customer_id,
        min(txn.occurred_at) as first_payment_at,
        max(txn.occurred_at) as last_payment_at
    from dim_customer as customer
    left join fact_transaction as txn
        on
            txn.customer_id = customer.stripe_id
            and txn.transaction_type = 'charge'
            and txn.status = 'succeeded'
    where %(all_rows)s or customer.stripe_id = any(%(customer_ids)s::text[])
    group by customer.stripe_id
)

update dim_customer
set
    first_payment_at = payment_times.first_payment_at,
    last_payment_at = payment_times.last_payment_at,
    updated_at = now()
from customer_payment_times as payment_times
where
    dim_customer.stripe_id = payment_times.customer_id
    and (dim_customer.first_payment_at, dim_customer.last_payment_at)
    is distinct from (payment_times.first_payment_at, payment_times.last_payment_at)
