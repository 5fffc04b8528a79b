-- purpose: lower bound for rebuild_warehouse: dim_customer by one plain INSERT ... SELECT
--   from dj-stripe's customers (no upsert, no locks, into an emptied table)
-- grain: one row per Stripe customer
-- params: user_id_key (customer metadata key of the app's user id)
with customer_payment_span as (
    select customer_id, min(created) as first_payment_at, max(created) as last_payment_at
    from djstripe_charge
    where status = 'succeeded'
    group by customer_id
)

insert into dim_customer (
    stripe_id, user_id, email, name, country, address_line1, address_line2, address_city,
    address_state, address_postal_code, created, deleted, first_payment_at, last_payment_at,
    livemode, updated_at
)
select
    customer.id as stripe_id,
    customer.metadata ->> %(user_id_key)s as user_id,
    coalesce(customer.email, '') as email,
    coalesce(customer.stripe_data ->> 'name', '') as name,
    coalesce(customer.stripe_data -> 'address' ->> 'country', '') as country,
    coalesce(customer.stripe_data -> 'address' ->> 'line1', '') as address_line1,
    coalesce(customer.stripe_data -> 'address' ->> 'line2', '') as address_line2,
    coalesce(customer.stripe_data -> 'address' ->> 'city', '') as address_city,
    coalesce(customer.stripe_data -> 'address' ->> 'state', '') as address_state,
    coalesce(customer.stripe_data -> 'address' ->> 'postal_code', '') as address_postal_code,
    customer.created,
    customer.date_purged is not null as deleted,
    customer_payment_span.first_payment_at,
    customer_payment_span.last_payment_at,
    customer.livemode,
    now() as updated_at
from djstripe_customer as customer
left join customer_payment_span on customer_payment_span.customer_id = customer.id
