-- purpose: add a placeholder dim_customer row for every customer that a non-void invoice
--   names but dj-stripe has not synced (yet), so fact_invoice_line can reference it; the
--   customer's own sync fills it
-- grain: one row per Stripe customer
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers)
with invoice_customers as (
    -- dj-stripe's table, not stg_stripe__invoices: its customer_id is the same column, and
    -- the view's paid-payment look-up would read every invoice's JSON
    select distinct invoice.customer_id
    from djstripe_invoice as invoice
    where
        invoice.customer_id is not null
        and (%(all_customers)s or invoice.customer_id = any(%(customer_ids)s::text[]))
)

insert into dim_customer (
    stripe_id, email, name, country, address_line1, address_line2, address_city,
    address_state, address_postal_code, deleted, updated_at
)
select
    invoice_customers.customer_id as stripe_id,
    '' as email,
    '' as name,
    '' as country,
    '' as address_line1,
    '' as address_line2,
    '' as address_city,
    '' as address_state,
    '' as address_postal_code,
    false as deleted,
    now() as updated_at
from invoice_customers
where not exists (
    select 1 from dim_customer as known where known.stripe_id = invoice_customers.customer_id
)
on conflict (stripe_id) do nothing
