-- purpose: upsert dim_customer from dj-stripe's customers (all, some ids, or those synced since a time)
-- grain: one row per Stripe customer
-- params: all_rows (bool), ids (text[]), since (timestamptz or null), user_id_key (metadata key)
with selected_customers as (
    select
        customer.id,
        customer.stripe_data,
        coalesce(customer.metadata, customer.stripe_data -> 'metadata') as metadata,
        customer.email,
        customer.created,
        customer.date_purged,
        customer.livemode
    from djstripe_customer as customer
    where
        (%(all_rows)s or customer.id = any(%(ids)s::text[]))
        and (%(since)s::timestamptz is null or customer.djstripe_updated >= %(since)s::timestamptz)
)

insert into dim_customer (
    stripe_id, user_id, email, name, country, address_line1, address_line2, address_city,
    address_state, address_postal_code, created, deleted, livemode, updated_at
)
select
    selected.id as stripe_id,
    left(nullif(selected.metadata ->> %(user_id_key)s, ''), 255) as user_id,
    left(coalesce(selected.email, selected.stripe_data ->> 'email', ''), 255) as email,
    left(coalesce(selected.stripe_data ->> 'name', ''), 255) as name,
    left(upper(coalesce(selected.stripe_data -> 'address' ->> 'country', '')), 2) as country,
    left(coalesce(selected.stripe_data -> 'address' ->> 'line1', ''), 255) as address_line1,
    left(coalesce(selected.stripe_data -> 'address' ->> 'line2', ''), 255) as address_line2,
    left(coalesce(selected.stripe_data -> 'address' ->> 'city', ''), 255) as address_city,
    left(coalesce(selected.stripe_data -> 'address' ->> 'state', ''), 255) as address_state,
    left(coalesce(selected.stripe_data -> 'address' ->> 'postal_code', ''), 32) as address_postal_code,
    coalesce(selected.created, to_timestamp((selected.stripe_data ->> 'created')::bigint)) as created,
    (
        coalesce((selected.stripe_data ->> 'deleted')::boolean, false)
        or selected.date_purged is not null
    ) as deleted,
    selected.livemode,
    now() as updated_at
from selected_customers as selected
on conflict (stripe_id) do update set
    user_id = excluded.user_id,
    email = excluded.email,
    name = excluded.name,
    country = excluded.country,
    address_line1 = excluded.address_line1,
    address_line2 = excluded.address_line2,
    address_city = excluded.address_city,
    address_state = excluded.address_state,
    address_postal_code = excluded.address_postal_code,
    created = excluded.created,
    deleted = excluded.deleted,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (
    dim_customer.user_id, dim_customer.email, dim_customer.name, dim_customer.country,
    dim_customer.address_line1, dim_customer.address_line2, dim_customer.address_city,
    dim_customer.address_state, dim_customer.address_postal_code, dim_customer.created,
    dim_customer.deleted, dim_customer.livemode
) is distinct from (
    excluded.user_id, excluded.email, excluded.name, excluded.country,
    excluded.address_line1, excluded.address_line2, excluded.address_city,
    excluded.address_state, excluded.address_postal_code, excluded.created,
    excluded.deleted, excluded.livemode
)
