-- purpose: dj-stripe's refunds with their JSON parsed once and their own settlement joined
-- grain: one row per Stripe refund
-- params: none (a view; filter it on refund_id or created, indexed in djstripe_refund)
-- A failed or canceled refund moved no money in the end (Stripe returns it through the
-- refund's failure balance transaction): `reversed` says so.
create or replace view stg_stripe__refunds as
with refunds as (
    select
        refund.id as refund_id,
        refund.stripe_data,
        refund.created,
        refund.livemode,
        coalesce(refund.amount, (refund.stripe_data ->> 'amount')::bigint) as refunded_amount,
        lower(coalesce(nullif(refund.currency, ''), refund.stripe_data ->> 'currency')) as currency,
        coalesce(
            refund.charge_id,
            refund.stripe_data -> 'charge' ->> 'id',
            refund.stripe_data ->> 'charge'
        ) as charge_id,
        coalesce(
            refund.balance_transaction_id,
            refund.stripe_data -> 'balance_transaction' ->> 'id',
            refund.stripe_data ->> 'balance_transaction'
        ) as balance_transaction_id,
        case
            when jsonb_typeof(refund.stripe_data -> 'balance_transaction') = 'object'
                then refund.stripe_data -> 'balance_transaction'
        end as embedded_balance_transaction
    from djstripe_refund as refund
)

select
    refunds.refund_id,
    refunds.charge_id,
    coalesce(refunds.stripe_data ->> 'status', '') as status,
    coalesce(refunds.stripe_data ->> 'status', '') in ('failed', 'canceled') as reversed,
    refunds.created,
    refunds.refunded_amount,
    refunds.currency,
    refunds.balance_transaction_id,
    settlement.settlement_amount,
    settlement.fee,
    settlement.net,
    settlement.settlement_currency,
    left(coalesce(refunds.stripe_data ->> 'failure_reason', ''), 255) as failure_reason,
    refunds.livemode
from refunds
left join lateral stg_stripe__settlement(
    refunds.balance_transaction_id, refunds.embedded_balance_transaction
) as settlement on true
