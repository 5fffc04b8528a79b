-- purpose: upsert dim_payment_method from dj-stripe's payment methods
-- grain: one row per payment method
-- params: all_rows (bool), ids (text[]), since (timestamptz or null)
-- A detached payment method has no customer in Stripe any more; the warehouse keeps the
-- customer it belonged to (known row, else the detach event's previous_attributes) and
-- flags it detached, so its past charges stay attributed.
with selected_payment_methods as (
    select
        payment_method.id,
        payment_method.stripe_data,
        payment_method.stripe_data -> 'card' as card,
        payment_method.customer_id,
        payment_method.created,
        payment_method.livemode
    from djstripe_paymentmethod as payment_method
    where
        (%(all_rows)s or payment_method.id = any(%(ids)s::text[]))
        and (
            %(since)s::timestamptz is null
            or payment_method.djstripe_updated >= %(since)s::timestamptz
        )
),

detach_events as (
    select distinct on (event.data -> 'object' ->> 'id')
        event.data -> 'object' ->> 'id' as payment_method_id,
        event.data -> 'previous_attributes' ->> 'customer' as previous_customer_id
    from djstripe_event as event
    where
        event.type = 'payment_method.detached'
        and event.data -> 'object' ->> 'id' in (
            select selected.id from selected_payment_methods as selected
            where selected.customer_id is null
        )
    order by event.data -> 'object' ->> 'id', event.created desc
)

insert into dim_payment_method (
    stripe_id, customer_id, type, card_brand, card_funding, card_last4, card_exp_month,
    card_exp_year, card_fingerprint, card_country, wallet, created, detached, livemode, updated_at
)
select
    selected.id as stripe_id,
    coalesce(
        selected.customer_id, known.customer_id, detached.previous_customer_id
    ) as customer_id,
    left(coalesce(selected.stripe_data ->> 'type', ''), 64) as type,
    left(coalesce(selected.card ->> 'brand', ''), 32) as card_brand,
    left(coalesce(selected.card ->> 'funding', ''), 32) as card_funding,
    left(coalesce(selected.card ->> 'last4', ''), 4) as card_last4,
    (selected.card ->> 'exp_month')::smallint as card_exp_month,
    (selected.card ->> 'exp_year')::smallint as card_exp_year,
    left(coalesce(selected.card ->> 'fingerprint', ''), 64) as card_fingerprint,
    left(upper(coalesce(selected.card ->> 'country', '')), 2) as card_country,
    left(coalesce(selected.card -> 'wallet' ->> 'type', ''), 32) as wallet,
    selected.created,
    (
        selected.customer_id is null
        and (known.customer_id is not null or known.detached or detached.payment_method_id is not null)
    ) as detached,
    selected.livemode,
    now() as updated_at
from selected_payment_methods as selected
left join dim_payment_method as known on known.stripe_id = selected.id
left join detach_events as detached on detached.payment_method_id = selected.id
on conflict (stripe_id) do update set
    customer_id = excluded.customer_id,
    type = excluded.type,
    card_brand = excluded.card_brand,
    card_funding = excluded.card_funding,
    card_last4 = excluded.card_last4,
    card_exp_month = excluded.card_exp_month,
    card_exp_year = excluded.card_exp_year,
    card_fingerprint = excluded.card_fingerprint,
    card_country = excluded.card_country,
    wallet = excluded.wallet,
    created = excluded.created,
    detached = excluded.detached,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (
    dim_payment_method.customer_id, dim_payment_method.type, dim_payment_method.card_brand,
    dim_payment_method.card_funding, dim_payment_method.card_last4,
    dim_payment_method.card_exp_month, dim_payment_method.card_exp_year,
    dim_payment_method.card_fingerprint, dim_payment_method.card_country,
    dim_payment_method.wallet, dim_payment_method.created, dim_payment_method.detached,
    dim_payment_method.livemode
) is distinct from (
    excluded.customer_id, excluded.type, excluded.card_brand, excluded.card_funding,
    excluded.card_last4, excluded.card_exp_month, excluded.card_exp_year,
    excluded.card_fingerprint, excluded.card_country, excluded.wallet, excluded.created,
    excluded.detached, excluded.livemode
)
