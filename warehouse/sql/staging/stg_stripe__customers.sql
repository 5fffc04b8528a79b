-- purpose: dj-stripe's customers, renamed, their JSON parsed once
-- grain: one row per Stripe customer
-- params: none (a view; filter it on customer_id, indexed in djstripe_customer)
create or replace view stg_stripe__customers as
select
    customer.id as customer_id,
    coalesce(customer.metadata, customer.stripe_data -> 'metadata') as metadata,
    left(coalesce(customer.email, customer.stripe_data ->> 'email', ''), 255) as email,
    left(coalesce(customer.stripe_data ->> 'name', ''), 255) as name,
    left(upper(coalesce(customer.stripe_data -> 'address' ->> 'country', '')), 2) as country,
    left(coalesce(customer.stripe_data -> 'address' ->> 'line1', ''), 255) as address_line1,
    left(coalesce(customer.stripe_data -> 'address' ->> 'line2', ''), 255) as address_line2,
    left(coalesce(customer.stripe_data -> 'address' ->> 'city', ''), 255) as address_city,
    left(coalesce(customer.stripe_data -> 'address' ->> 'state', ''), 255) as address_state,
    left(coalesce(customer.stripe_data -> 'address' ->> 'postal_code', ''), 32)
        as address_postal_code,
    coalesce(customer.created, to_timestamp((customer.stripe_data ->> 'created')::bigint))
        as created,
    (
        coalesce((customer.stripe_data ->> 'deleted')::boolean, false)
        or customer.date_purged is not null
    ) as deleted,
    customer.livemode,
    customer.djstripe_updated as synced_at
from djstripe_customer as customer
