-- purpose: upsert dim_payment_method from stg_stripe__payment_methods (all, some ids, or those
--   synced since a time), and add a placeholder row for every referenced payment method that
--   dj-stripe does not hold (legacy card_/src_ sources, or not synced yet)
-- grain: one row per payment method
-- params: all_rows (bool), ids (text[]: payment methods to upsert; ignored when all_rows),
--   referenced_ids (text[]: payment methods that facts reference; all of them when all_rows),
--   since (timestamptz or null)
-- A detached payment method has no customer in Stripe any more; the warehouse keeps the
-- customer it belonged to (known row, else the detach event's previous_attributes) and
-- flags it detached, so its past charges stay attributed.
with synced_payment_methods as (
    select
        payment_method.payment_method_id,
        payment_method.customer_id,
        payment_method.type,
        payment_method.card_brand,
        payment_method.card_funding,
        payment_method.card_last4,
        payment_method.card_exp_month,
        payment_method.card_exp_year,
        payment_method.card_fingerprint,
        payment_method.card_country,
        payment_method.wallet,
        payment_method.created,
        payment_method.livemode
    from stg_stripe__payment_methods as payment_method
    where
        (%(all_rows)s or payment_method.payment_method_id = any(%(ids)s::text[]))
        and (%(since)s::timestamptz is null or payment_method.synced_at >= %(since)s::timestamptz)
),

detach_events as (
    select distinct on (event.data -> 'object' ->> 'id')
        event.data -> 'object' ->> 'id' as payment_method_id,
        event.data -> 'previous_attributes' ->> 'customer' as previous_customer_id
    from djstripe_event as event
    where
        event.type = 'payment_method.detached'
        and event.data -> 'object' ->> 'id' = any(array(
            select synced.payment_method_id from synced_payment_methods as synced
            where synced.customer_id is null
        ))
    order by event.data -> 'object' ->> 'id', event.created desc
),

referenced_payment_methods as (
    select referenced.payment_method_id
    from unnest(%(referenced_ids)s::text[]) as referenced (payment_method_id)
    where not %(all_rows)s
    union
    select txn.payment_method_id
    from fact_transaction as txn
    where %(all_rows)s and txn.payment_method_id is not null
),

upserted as (
    insert into dim_payment_method (
        stripe_id, customer_id, type, card_brand, card_funding, card_last4, card_exp_month,
        card_exp_year, card_fingerprint, card_country, wallet, created, detached, livemode,
        updated_at
    )
    select
        synced.payment_method_id as stripe_id,
        coalesce(synced.customer_id, known.customer_id, detached.previous_customer_id) as customer_id,
        synced.type,
        synced.card_brand,
        synced.card_funding,
        synced.card_last4,
        synced.card_exp_month,
        synced.card_exp_year,
        synced.card_fingerprint,
        synced.card_country,
        synced.wallet,
        synced.created,
        (
            synced.customer_id is null
            and (known.customer_id is not null or known.detached or detached.payment_method_id is not null)
        ) as detached,
        synced.livemode,
        now() as updated_at
    from synced_payment_methods as synced
    left join dim_payment_method as known on known.stripe_id = synced.payment_method_id
    left join detach_events as detached on detached.payment_method_id = synced.payment_method_id
    order by synced.payment_method_id
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
    returning stripe_id
),

placeholders as (
    insert into dim_payment_method (
        stripe_id, type, card_brand, card_funding, card_last4, card_fingerprint, card_country,
        wallet, detached, updated_at
    )
    select
        referenced.payment_method_id as stripe_id,
        '' as type,
        '' as card_brand,
        '' as card_funding,
        '' as card_last4,
        '' as card_fingerprint,
        '' as card_country,
        '' as wallet,
        false as detached,
        now() as updated_at
    from referenced_payment_methods as referenced
    where referenced.payment_method_id not in (
        select synced.payment_method_id from synced_payment_methods as synced
    )
    order by referenced.payment_method_id
    -- a known payment method is skipped through the primary-key index (no anti-join to
    -- misplan when the rebuild's statistics still say "empty")
    on conflict (stripe_id) do nothing
    returning stripe_id
)

select
    (select count(*) from upserted) as payment_methods_written,
    (select count(*) from placeholders) as placeholders_written
