-- purpose: upsert dim_customer from stg_stripe__customers (all, some ids, or those synced since
--   a time) with each customer's first and last payment from fact_transaction; add a
--   placeholder row for every referenced customer dj-stripe does not hold (yet), and bring the
--   payment times of the other referenced customers up to date
-- grain: one row per Stripe customer
-- params: all_rows (bool), ids (text[]: customers to upsert; ignored when all_rows),
--   referenced_ids (text[]: customers whose facts changed; everyone referenced when all_rows),
--   payment_method_ids (text[]: their customers are referenced too), since (timestamptz or
--   null), user_id_key (metadata key)
-- The three writes touch disjoint customers (synced / placeholder / other referenced), as one
-- statement may not write a row twice.
with synced_customers as (
    select
        customer.customer_id,
        customer.metadata,
        customer.email,
        customer.name,
        customer.country,
        customer.address_line1,
        customer.address_line2,
        customer.address_city,
        customer.address_state,
        customer.address_postal_code,
        customer.created,
        customer.deleted,
        customer.livemode
    from stg_stripe__customers as customer
    where
        (%(all_rows)s or customer.customer_id = any(%(ids)s::text[]))
        and (%(since)s::timestamptz is null or customer.synced_at >= %(since)s::timestamptz)
),

referenced_customers as (
    select referenced.customer_id
    from unnest(%(referenced_ids)s::text[]) as referenced (customer_id)
    where not %(all_rows)s
    union
    select payment_method.customer_id
    from dim_payment_method as payment_method
    where
        not %(all_rows)s
        and payment_method.stripe_id = any(%(payment_method_ids)s::text[])
        and payment_method.customer_id is not null
    union
    select txn.customer_id
    from fact_transaction as txn
    where %(all_rows)s and txn.customer_id is not null
    union
    select payment_method.customer_id
    from dim_payment_method as payment_method
    where %(all_rows)s and payment_method.customer_id is not null
),

payment_times as (
    select
        txn.customer_id,
        min(txn.occurred_at) as first_payment_at,
        max(txn.occurred_at) as last_payment_at
    from fact_transaction as txn
    where
        txn.transaction_type = 'charge'
        and txn.status = 'succeeded'
        and (
            %(all_rows)s
            or txn.customer_id = any(array(
                select synced.customer_id from synced_customers as synced
                union all
                select referenced.customer_id from referenced_customers as referenced
            ))
        )
    group by txn.customer_id
),

upserted as (
    insert into dim_customer (
        stripe_id, user_id, email, name, country, address_line1, address_line2, address_city,
        address_state, address_postal_code, created, deleted, livemode, first_payment_at,
        last_payment_at, updated_at
    )
    select
        synced.customer_id as stripe_id,
        left(nullif(synced.metadata ->> %(user_id_key)s, ''), 255) as user_id,
        synced.email,
        synced.name,
        synced.country,
        synced.address_line1,
        synced.address_line2,
        synced.address_city,
        synced.address_state,
        synced.address_postal_code,
        synced.created,
        synced.deleted,
        synced.livemode,
        payment_times.first_payment_at,
        payment_times.last_payment_at,
        now() as updated_at
    from synced_customers as synced
    left join payment_times on payment_times.customer_id = synced.customer_id
    order by synced.customer_id
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
        first_payment_at = excluded.first_payment_at,
        last_payment_at = excluded.last_payment_at,
        updated_at = excluded.updated_at
    where (
        dim_customer.user_id, dim_customer.email, dim_customer.name, dim_customer.country,
        dim_customer.address_line1, dim_customer.address_line2, dim_customer.address_city,
        dim_customer.address_state, dim_customer.address_postal_code, dim_customer.created,
        dim_customer.deleted, dim_customer.livemode, dim_customer.first_payment_at,
        dim_customer.last_payment_at
    ) is distinct from (
        excluded.user_id, excluded.email, excluded.name, excluded.country,
        excluded.address_line1, excluded.address_line2, excluded.address_city,
        excluded.address_state, excluded.address_postal_code, excluded.created,
        excluded.deleted, excluded.livemode, excluded.first_payment_at,
        excluded.last_payment_at
    )
    returning stripe_id
),

unsynced_references as (
    select referenced.customer_id
    from referenced_customers as referenced
    where referenced.customer_id not in (
        select synced.customer_id from synced_customers as synced
    )
),

placeholders as (
    insert into dim_customer (
        stripe_id, email, name, country, address_line1, address_line2, address_city,
        address_state, address_postal_code, deleted, first_payment_at, last_payment_at,
        updated_at
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
        payment_times.first_payment_at,
        payment_times.last_payment_at,
        now() as updated_at
    from unsynced_references as referenced
    left join payment_times on payment_times.customer_id = referenced.customer_id
    order by referenced.customer_id
    -- a known customer is skipped through the primary-key index (no anti-join to misplan
    -- when the rebuild's statistics still say "empty")
    on conflict (stripe_id) do nothing
    returning stripe_id
),

payment_times_updated as (
    update dim_customer
    set
        first_payment_at = payment_times.first_payment_at,
        last_payment_at = payment_times.last_payment_at,
        updated_at = now()
    from unsynced_references as referenced
    left join payment_times on payment_times.customer_id = referenced.customer_id
    where
        dim_customer.stripe_id = referenced.customer_id
        and (dim_customer.first_payment_at, dim_customer.last_payment_at)
        is distinct from (payment_times.first_payment_at, payment_times.last_payment_at)
    returning dim_customer.stripe_id
)

select
    (select count(*) from upserted) as customers_written,
    (select count(*) from placeholders) as placeholders_written,
    (select count(*) from payment_times_updated) as payment_times_written
