-- purpose: upsert the fact_transaction rows of each dispute: funds withdrawn and funds
--          reinstated, one per direction, from the dispute's own balance transactions
-- grain: one row per dispute per direction (transaction_type 'dispute_withdrawal' /
--        'dispute_reinstatement'); withdrawals negative, reinstatements positive
-- params: all_rows (bool), ids (text[]), since (timestamptz or null; on the money movement), time_zone
-- A dispute without balance transactions (an inquiry, or funds not yet withdrawn) moved no
-- money and has no row. Each balance transaction is read from dj-stripe's synced row, else
-- from the copy embedded in the dispute's JSON.
with selected_disputes as (
    select
        dispute.id,
        dispute.stripe_data,
        dispute.livemode,
        coalesce(dispute.charge_id, dispute.stripe_data -> 'charge' ->> 'id', dispute.stripe_data ->> 'charge')
            as charge_id
    from djstripe_dispute as dispute
    where %(all_rows)s or dispute.id = any(%(ids)s::text[])
),

dispute_balance_entries as (
    select
        selected.id as dispute_id,
        coalesce(entry ->> 'id', entry #>> '{}') as balance_transaction_id,
        case when jsonb_typeof(entry) = 'object' then entry end as embedded_balance_transaction
    from selected_disputes as selected
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(selected.stripe_data -> 'balance_transactions') = 'array'
                then selected.stripe_data -> 'balance_transactions'
            else '[]'::jsonb
        end
    ) as entry
),

resolved_balance_entries as (
    select
        entry.dispute_id,
        entry.balance_transaction_id,
        coalesce(balance.amount, (entry.embedded_balance_transaction ->> 'amount')::bigint)
            as settlement_amount,
        coalesce(
            (balance.stripe_data ->> 'fee')::bigint,
            (entry.embedded_balance_transaction ->> 'fee')::bigint
        ) as fee,
        coalesce(
            (balance.stripe_data ->> 'net')::bigint,
            (entry.embedded_balance_transaction ->> 'net')::bigint
        ) as net,
        lower(coalesce(balance.currency, entry.embedded_balance_transaction ->> 'currency', ''))
            as settlement_currency,
        coalesce(
            balance.created,
            to_timestamp((entry.embedded_balance_transaction ->> 'created')::bigint)
        ) as occurred_at
    from dispute_balance_entries as entry
    left join djstripe_balancetransaction as balance
        on balance.id = entry.balance_transaction_id
),

dispute_directions as (
    select
        resolved.dispute_id,
        case when resolved.settlement_amount < 0 then 'dispute_withdrawal' else 'dispute_reinstatement' end
            as transaction_type,
        min(resolved.balance_transaction_id) as balance_transaction_id,
        sum(resolved.settlement_amount) as settlement_amount,
        sum(resolved.fee) as fee,
        sum(resolved.net) as net,
        max(resolved.settlement_currency) as settlement_currency,
        min(resolved.occurred_at) as occurred_at
    from resolved_balance_entries as resolved
    where resolved.settlement_amount is not null and resolved.settlement_amount <> 0
    group by resolved.dispute_id, 2
),

dispute_movements as (
    select
        selected.id as stripe_id,
        direction.transaction_type,
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
        direction.occurred_at,
        case when direction.transaction_type = 'dispute_withdrawal' then -1 else 1 end
            * (selected.stripe_data ->> 'amount')::bigint as amount,
        lower(selected.stripe_data ->> 'currency') as currency,
        direction.balance_transaction_id,
        direction.settlement_amount,
        direction.fee,
        direction.net,
        direction.settlement_currency,
        left(coalesce(selected.stripe_data ->> 'reason', ''), 255) as failure_code,
        selected.livemode
    from dispute_directions as direction
    inner join selected_disputes as selected on selected.id = direction.dispute_id
    left join djstripe_charge as charge on charge.id = selected.charge_id
    where %(since)s::timestamptz is null or direction.occurred_at >= %(since)s::timestamptz
)

insert into fact_transaction (
    stripe_id, transaction_type, status, charge_id, customer_id, payment_method_id, date_sk,
    occurred_at, amount, currency, balance_transaction_id, settlement_amount, fee, net,
    settlement_currency, failure_code, failure_message, livemode, updated_at
)
select
    movement.stripe_id,
    movement.transaction_type,
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
from dispute_movements as movement
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
