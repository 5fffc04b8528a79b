-- purpose: what dj-stripe left out for some invoices, for the subscriptions step's upstream
--   completion (one look-up instead of reading the invoices into Python): the prices their
--   lines name that dj-stripe does not hold (basil lines name the price by id only), the
--   charges of their paid payments that it does not hold, and the payment intents of paid
--   payments without a charge of their own nor a succeeded charge in dj-stripe
-- grain: one row per kind ('price', 'charge', 'payment_intent') × Stripe id
-- params: invoice_ids (text[])
with selected_invoices as (
    select invoice.stripe_data
    from djstripe_invoice as invoice
    where invoice.id = any(%(invoice_ids)s::text[])
),

line_prices as (
    select distinct
        nullif(
            case jsonb_typeof(line.value -> 'pricing' -> 'price_details' -> 'price')
                when 'object' then line.value -> 'pricing' -> 'price_details' -> 'price' ->> 'id'
                else line.value -> 'pricing' -> 'price_details' ->> 'price'
            end,
            ''
        ) as price_id
    from selected_invoices
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(selected_invoices.stripe_data -> 'lines' -> 'data') = 'array'
                then selected_invoices.stripe_data -> 'lines' -> 'data'
            else '[]'::jsonb
        end
    ) as line (value)
),

paid_payments as (
    select distinct
        nullif(
            case jsonb_typeof(payment.value -> 'payment' -> 'charge')
                when 'object' then payment.value -> 'payment' -> 'charge' ->> 'id'
                else payment.value -> 'payment' ->> 'charge'
            end,
            ''
        ) as charge_id,
        nullif(
            case jsonb_typeof(payment.value -> 'payment' -> 'payment_intent')
                when 'object' then payment.value -> 'payment' -> 'payment_intent' ->> 'id'
                else payment.value -> 'payment' ->> 'payment_intent'
            end,
            ''
        ) as payment_intent_id
    from selected_invoices
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(selected_invoices.stripe_data -> 'payments' -> 'data') = 'array'
                then selected_invoices.stripe_data -> 'payments' -> 'data'
            else '[]'::jsonb
        end
    ) as payment (value)
    where payment.value ->> 'status' = 'paid'
)

select 'price' as kind, line_prices.price_id as stripe_id
from line_prices
where
    line_prices.price_id is not null
    and not exists (select 1 from djstripe_price as price where price.id = line_prices.price_id)
union all
select 'charge' as kind, paid_payments.charge_id as stripe_id
from paid_payments
where
    paid_payments.charge_id is not null
    and not exists (
        select 1 from djstripe_charge as charge where charge.id = paid_payments.charge_id
    )
union all
select 'payment_intent' as kind, paid_payments.payment_intent_id as stripe_id
from paid_payments
where
    paid_payments.charge_id is null
    and paid_payments.payment_intent_id is not null
    and not exists (
        select 1
        from djstripe_charge as charge
        where
            charge.payment_intent_id = paid_payments.payment_intent_id
            and charge.status = 'succeeded'
    )
