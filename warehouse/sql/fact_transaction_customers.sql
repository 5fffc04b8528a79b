-- purpose: the customers that these movements are attributed to (before they are rewritten)
-- grain: one row per customer
-- params: ids (text[]: Stripe ids of charges, refunds or disputes)
select distinct txn.customer_id
from fact_transaction as txn
where txn.stripe_id = any(%(ids)s::text[]) and txn.customer_id is not null
