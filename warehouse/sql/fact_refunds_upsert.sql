-- purpose: upsert the fact_transaction row of each refund from dj-stripe's refunds, their own
--          balance transactions (settlement currency, fee, net) and the refunded charge
-- grain: one row per refund (transaction_type 'refund'); amounts negative
-- params: all_rows (bool), ids (text[]), since / until (timestamptz or null: created in
--         [since, until)), time_zone
-- A failed or canceled refund moved no money in the end (Stripe returns it through the
-- refund's failure balance transaction), so it keeps its row with zero amounts.
with selected_refunds as (
    select
        refund.id,
        refund.stripe_data,
        refund.created,
        refund.livemode,
        coalesce(refund.amount, (refund.stripe_data ->> 'amount')::bigint) as refunded_amount,
        lower(coalesce(nullif(refund.currency, ''), refund.stripe_data ->> 'currency')) as currency,
        coalesce(refund.charge_id, refund.stripe_data -> 'charge' ->> 'id', refund.stripe_data ->> 'charge')
            as charge_id,
        coalesce(
            refund.balance_transaction_id,
            refund.stripe_data -> 'balance_transaction' ->> 'id',
            refund.stripe_data ->> 'balance_transaction'
        ) as balance_transaction_id,
        case
            when jsonb_typeof(refund.stripe_data -> 'balance_transaction') = 'object'
                then refund.stripe_data -> 'balance_transaction'
        end as embedded_balance_transaction,
        coalesce(refund.stripe_data ->> 'status', '') in ('failed', 'canceled') as reversed
    from djstripe_refund as refund
    where
        (%(all_rows)s or refund.id = any(%(ids)s::text[]))
        and (%(since)s::timestamptz is null or refund.created >= %(since)s::timestamptz)
        and (%(until)s::timestamptz is null or refund.created < %(until)s::timestamptz)
),

refund_movements as (
    select
        selected.id as stripe_id,
        coalesce(selected.stripe_data ->> 'status', '') as status,
        selected.charge_id,
        coalesce(charge.customer_id, charge.stripe_data -> 'customer' ->> 'id', charge.stripe_data ->> 'customer')
            as customer_id,
        coalesce(
            charge.payment_method_id,
            charge.stripe_data -> 'payment_method' ->> 'id',
            charge.stripe_data ->> 'payment_method',
            charge.source_id
        ) as payment_method_id,
        selected.created as occurred_at,
        case when selected.reversed then 0 else -selected.refunded_amount end as amount,
        selected.currency,
        coalesce(selected.balance_transaction_id, '') as balance_transaction_id,
        case when selected.reversed then 0 else coalesce(
            balance.amount, (selected.embedded_balance_transaction ->> 'amount')::bigint
        ) end as settlement_amount,
        case when selected.reversed then 0 else coalesce(
            (balance.stripe_data ->> 'fee')::bigint,
            (selected.embedded_balance_transaction ->> 'fee')::bigint
        ) end as fee,
        case when selected.reversed then 0 else coalesce(
            (balance.stripe_data ->> 'net')::bigint,
            (selected.embedded_balance_transaction ->> 'net')::bigint
        ) end as net,
        lower(coalesce(balance.currency, selected.embedded_balance_transaction ->> 'currency', ''))
            as settlement_currency,
        left(coalesce(selected.stripe_data ->> 'failure_reason', ''), 255) as failure_code,
        selected.livemode
    from selected_refunds as selected
    left join djstripe_charge as charge on charge.id = selected.charge_id
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
    'refund' as transaction_type,
    movement.status,
    coalesce(movement.charge_id, '') as charge_id,
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
    '' as failure_message,
    movement.livemode,
    now() as updated_at
from refund_movements as movement
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
