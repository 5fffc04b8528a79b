-- purpose: these customers, each with whether they have subscription invoices (stored lines,
--   or invoices dj-stripe holds), i.e. may have MRR to refresh; the payments flush hands the
--   first to the subscriptions step and all of them to the channel funnel
-- grain: one row per customer
-- params: customer_ids (text[])
with customers as (
    select distinct requested.customer_id
    from unnest(%(customer_ids)s::text[]) as requested (customer_id)
)

select
    customers.customer_id,
    exists (
        select 1 from fact_invoice_line as line where line.customer_id = customers.customer_id
    ) or exists (
        select 1 from djstripe_invoice as invoice where invoice.customer_id = customers.customer_id
    ) as has_subscription_invoices
from customers
