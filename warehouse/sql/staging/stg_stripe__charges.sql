-- purpose: dj-stripe's charges with their JSON parsed once and their settlement joined
-- grain: one row per Stripe charge
-- params: none (a view; filter it on charge_id or created, indexed in djstripe_charge)
-- Amounts come from the JSON's integer `amount` (minor units); dj-stripe's decimal `amount`
-- column is that integer / 100 for every currency, used only when the JSON lacks it.
create or replace view stg_stripe__charges as
with charges as (
    select
        charge.id as charge_id,
        charge.stripe_data,
        charge.status,
        charge.created,
        charge.livemode,
        charge.currency,
        charge.amount,
        coalesce(
            charge.customer_id,
            charge.stripe_data -> 'customer' ->> 'id',
            charge.stripe_data ->> 'customer'
        ) as customer_id,
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
)

select
    charges.charge_id,
    case
        when charges.status = 'succeeded' and (charges.stripe_data ->> 'captured') = 'false'
            then 'uncaptured'
        else charges.status
    end as status,
    charges.customer_id,
    charges.payment_method_id,
    charges.created,
    coalesce((charges.stripe_data ->> 'amount')::bigint, round(charges.amount * 100)::bigint)
        as amount,
    lower(coalesce(nullif(charges.currency, ''), charges.stripe_data ->> 'currency')) as currency,
    charges.balance_transaction_id,
    settlement.settlement_amount,
    settlement.fee,
    settlement.net,
    settlement.settlement_currency,
    left(coalesce(charges.stripe_data ->> 'failure_code', ''), 255) as failure_code,
    coalesce(charges.stripe_data ->> 'failure_message', '') as failure_message,
    charges.livemode
from charges
left join lateral stg_stripe__settlement(
    charges.balance_transaction_id, charges.embedded_balance_transaction
) as settlement on true
