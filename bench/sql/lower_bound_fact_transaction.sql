-- purpose: lower bound for rebuild_warehouse: fact_transaction by one plain INSERT ... SELECT
--   of every money movement in dj-stripe's tables (charges, refunds, dispute withdrawals and
--   reinstatements) with their balance transactions' settlement amounts
-- grain: one row per money movement (Stripe object id, movement type)
-- params: time_zone (the reporting time zone, for date_sk)
with charge_movements as (
    select
        charge.id as stripe_id,
        'charge' as transaction_type,
        charge.status,
        charge.id as charge_id,
        charge.customer_id,
        charge.payment_method_id,
        charge.created as occurred_at,
        (charge.stripe_data ->> 'amount')::bigint as amount,
        charge.currency,
        coalesce(charge.balance_transaction_id, '') as balance_transaction_id,
        settlement.amount as settlement_amount,
        (settlement.stripe_data ->> 'fee')::bigint as fee,
        (settlement.stripe_data ->> 'net')::bigint as net,
        coalesce(settlement.currency, '') as settlement_currency,
        coalesce(charge.stripe_data ->> 'failure_code', '') as failure_code,
        coalesce(charge.stripe_data ->> 'failure_message', '') as failure_message,
        charge.livemode
    from djstripe_charge as charge
    left join djstripe_balancetransaction as settlement
        on settlement.id = charge.balance_transaction_id
),

refund_movements as (
    select
        refund.id as stripe_id,
        'refund' as transaction_type,
        coalesce(refund.stripe_data ->> 'status', '') as status,
        refund.charge_id,
        charge.customer_id,
        charge.payment_method_id,
        refund.created as occurred_at,
        -refund.amount as amount,
        refund.currency,
        coalesce(refund.balance_transaction_id, '') as balance_transaction_id,
        settlement.amount as settlement_amount,
        (settlement.stripe_data ->> 'fee')::bigint as fee,
        (settlement.stripe_data ->> 'net')::bigint as net,
        coalesce(settlement.currency, '') as settlement_currency,
        '' as failure_code,
        '' as failure_message,
        refund.livemode
    from djstripe_refund as refund
    inner join djstripe_charge as charge on charge.id = refund.charge_id
    left join djstripe_balancetransaction as settlement
        on settlement.id = refund.balance_transaction_id
),

dispute_movements as (
    select
        dispute.id as stripe_id,
        case
            when (settlement.value ->> 'amount')::bigint < 0 then 'dispute_withdrawal'
            else 'dispute_reinstatement'
        end as transaction_type,
        coalesce(dispute.stripe_data ->> 'status', '') as status,
        dispute.charge_id,
        charge.customer_id,
        charge.payment_method_id,
        to_timestamp((settlement.value ->> 'created')::bigint) as occurred_at,
        sign((settlement.value ->> 'amount')::bigint)
        * (dispute.stripe_data ->> 'amount')::bigint as amount,
        dispute.stripe_data ->> 'currency' as currency,
        settlement.value ->> 'id' as balance_transaction_id,
        (settlement.value ->> 'amount')::bigint as settlement_amount,
        (settlement.value ->> 'fee')::bigint as fee,
        (settlement.value ->> 'net')::bigint as net,
        coalesce(settlement.value ->> 'currency', '') as settlement_currency,
        '' as failure_code,
        '' as failure_message,
        dispute.livemode
    from djstripe_dispute as dispute
    inner join djstripe_charge as charge on charge.id = dispute.charge_id
    cross join lateral jsonb_array_elements(dispute.stripe_data -> 'balance_transactions')
        as settlement (value)
),

money_movements as (
    select * from charge_movements
    union all
    select * from refund_movements
    union all
    select * from dispute_movements
)

insert into fact_transaction (
    stripe_id, transaction_type, status, charge_id, customer_id, payment_method_id, date_sk,
    occurred_at, amount, currency, balance_transaction_id, settlement_amount, fee, net,
    settlement_currency, failure_code, failure_message, livemode, updated_at
)
select
    stripe_id,
    transaction_type,
    status,
    charge_id,
    customer_id,
    payment_method_id,
    to_char(occurred_at at time zone %(time_zone)s, 'YYYYMMDD')::integer as date_sk,
    occurred_at,
    amount,
    currency,
    balance_transaction_id,
    settlement_amount,
    fee,
    net,
    settlement_currency,
    failure_code,
    failure_message,
    livemode,
    now() as updated_at
from money_movements
