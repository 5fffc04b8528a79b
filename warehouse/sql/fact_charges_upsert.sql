-- purpose: upsert the fact_transaction row of each charge from dj-stripe's charges and their
--          balance transactions (synced row, else the expanded copy inside the charge's JSON)
-- grain: one row per charge (transaction_type 'charge')
-- params: all_rows (bool), ids (text[]), since / until (timestamptz or null: created in
--         [since, until)), time_zone
-- Amounts come from the charge JSON's integer `amount` (minor units); dj-stripe's decimal
-- `amount` column is that integer / 100 for every currency, used only when the JSON lacks it.
with selected_charges as (
    select
        charge.id,
        charge.stripe_data,
        charge.status,
        charge.created,
        charge.livemode,
        charge.currency,
        charge.amount,
        coalesce(charge.customer_id, charge.stripe_data -> 'customer' ->> 'id', charge.stripe_data ->> 'customer')
            as customer_id,
        coalesce(
            charge.payment_method_id,
            charge.stripe_data -> 'payment_method' ->> 'id',
            charge.stripe_data ->> 'payment_method',
            charge.source_id
        ) as payment_method_id,
        coalesce(
            charge.balance_transaction_id,
            charge.stripe_data -> 'balance_transaction' ->> 'id',
            charge.stripe_data ->> 'balance_transaction'
        ) as balance_transaction_id,
        case
            when jsonb_typeof(charge.stripe_data -> 'balance_transaction') = 'object'
                then charge.stripe_data -> 'balance_transaction'
        end as embedded_balance_transaction
    from djstripe_charge as charge
    where
        (%(all_rows)s or charge.id = any(%(ids)s::text[]))
        and (%(since)s::timestamptz is null or charge.created >= %(since)s::timestamptz)
        and (%(until)s::timestamptz is null or charge.created < %(until)s::timestamptz)
),

charge_movements as (
    select
        selected.id as stripe_id,
        case
            when selected.status = 'succeeded' and (selected.stripe_data ->> 'captured') = 'false'
                then 'uncaptured'
            else selected.status
        end as status,
        selected.customer_id,
        selected.payment_method_id,
        selected.created as occurred_at,
        coalesce((selected.stripe_data ->> 'amount')::bigint, round(selected.amount * 100)::bigint)
            as amount,
        lower(coalesce(nullif(selected.currency, ''), selected.stripe_data ->> 'currency')) as currency,
        coalesce(selected.balance_transaction_id, '') as balance_transaction_id,
        coalesce(balance.amount, (selected.embedded_balance_transaction ->> 'amount')::bigint)
            as settlement_amount,
        coalesce(
            (balance.stripe_data ->> 'fee')::bigint,
            (selected.embedded_balance_transaction ->> 'fee')::bigint
        ) as fee,
        coalesce(
            (balance.stripe_data ->> 'net')::bigint,
            (selected.embedded_balance_transaction ->> 'net')::bigint
        ) as net,
        lower(coalesce(balance.currency, selected.embedded_balance_transaction ->> 'currency', ''))
            as settlement_currency,
        left(coalesce(selected.stripe_data ->> 'failure_code', ''), 255) as failure_code,
        coalesce(selected.stripe_data ->> 'failure_message', '') as failure_message,
        selected.livemode
    from selected_charges as selected
    left join djstripe_balancetransaction as balance
        on balance.id = selected.balance_transaction_id
)

insert into fact_transaction (
    stripe_id, transaction_type, status, charge_id, customer_id, payment_method_id, date_sk,
    occurred_at, amount, currency, balance_transaction_id, settlement_amount, fee, net,
    settlement_currency, failure_code, failure_message, livemode, updated_at
)
select
    movement.stripe_id,
    'charge' as transaction_type,
    movement.status,
    movement.stripe_id as charge_id,
    movement.customer_id,
    movement.payment_method_id,
    to_char(movement.occurred_at at time zone %(time_zone)s, 'YYYYMMDD')::integer as date_sk,
    movement.occurred_at,
    movement.amount,
    movement.currency,
    movement.balance_transaction_id,
    movement.settlement_amount,
    movement.fee,
    movement.net,
    movement.settlement_currency,
    movement.failure_code,
    movement.failure_message,
    movement.livemode,
    now() as updated_at
from charge_movements as movement
on conflict (stripe_id, transaction_type) do update set
    status = excluded.status,
    charge_id = excluded.charge_id,
    customer_id = excluded.customer_id,
    payment_method_id = excluded.payment_method_id,
    date_sk = excluded.date_sk,
    occurred_at = excluded.occurred_at,
    amount = excluded.amount,
    currency = excluded.currency,
    balance_transaction_id = excluded.balance_transaction_id,
    settlement_amount = excluded.settlement_amount,
    fee = excluded.fee,
    net = excluded.net,
    settlement_currency = excluded.settlement_currency,
    failure_code = excluded.failure_code,
    failure_message = excluded.failure_message,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (
    fact_transaction.status, fact_transaction.charge_id, fact_transaction.customer_id,
    fact_transaction.payment_method_id, fact_transaction.date_sk, fact_transaction.occurred_at,
    fact_transaction.amount, fact_transaction.currency, fact_transaction.balance_transaction_id,
    fact_transaction.settlement_amount, fact_transaction.fee, fact_transaction.net,
    fact_transaction.settlement_currency, fact_transaction.failure_code,
    fact_transaction.failure_message, fact_transaction.livemode
) is distinct from (
    excluded.status, excluded.charge_id, excluded.customer_id, excluded.payment_method_id,
    excluded.date_sk, excluded.occurred_at, excluded.amount, excluded.currency,
    excluded.balance_transaction_id, excluded.settlement_amount, excluded.fee, excluded.net,
    excluded.settlement_currency, excluded.failure_code, excluded.failure_message,
    excluded.livemode
)
