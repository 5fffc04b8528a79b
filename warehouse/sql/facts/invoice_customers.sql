-- purpose: the customers of some invoices and subscriptions (whose MRR a change of them moves)
-- grain: one row per customer
-- params: invoice_ids (text[]), subscription_ids (text[])
select invoices.customer_id
from stg_stripe__invoices as invoices
where invoices.invoice_id = any(%(invoice_ids)s::text[]) and invoices.customer_id is not null
union
select subscriptions.customer_id
from stg_stripe__subscriptions as subscriptions
where
    subscriptions.subscription_id = any(%(subscription_ids)s::text[])
    and subscriptions.customer_id is not null
