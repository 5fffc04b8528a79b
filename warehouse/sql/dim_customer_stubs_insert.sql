-- purpose: add a placeholder dim_customer row for every customer id that a fact or payment
--          method references but dj-stripe has not synced (yet); the customer's own sync fills it
-- grain: one row per Stripe customer
-- params: all_rows (bool), customer_ids (text[]; ignored when all_rows)
with referenced_customers as (
    select txn.customer_id
    from fact_transaction as txn
    where
        txn.customer_id is not null
        and (%(all_rows)s or txn.customer_id = any(%(customer_ids)s::text[]))
    union
    select payment_method.customer_id
    from dim_payment_method as payment_method
    where
        payment_method.customer_id is not null
        and (%(all_rows)s or payment_method.customer_id = any(%(customer_ids)s::text[]))
)

insert into dim_customer (
    stripe_id, email, name, country, address_line1, address_line2, address_city,
    address_state, address_postal_code, deleted, updated_at
)
select
    referenced.customer_id as stripe_id,
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
from referenced_customers as referenced
where not exists (
    select 1 from dim_customer as known where known.stripe_id = referenced.customer_id
)
on conflict (stripe_id) do nothing
