-- purpose: dj-stripe's payment methods, renamed, their card JSON parsed once
-- grain: one row per Stripe payment method
-- params: none (a view; filter it on payment_method_id, indexed in djstripe_paymentmethod)
create or replace view stg_stripe__payment_methods as
with payment_methods as (
    select
        payment_method.id as payment_method_id,
        payment_method.customer_id,
        payment_method.stripe_data,
        payment_method.stripe_data -> 'card' as card,
        payment_method.created,
        payment_method.livemode,
        payment_method.djstripe_updated as synced_at
    from djstripe_paymentmethod as payment_method
)

select
    payment_methods.payment_method_id,
    payment_methods.customer_id,
    left(coalesce(payment_methods.stripe_data ->> 'type', ''), 64) as type,
    left(coalesce(payment_methods.card ->> 'brand', ''), 32) as card_brand,
    left(coalesce(payment_methods.card ->> 'funding', ''), 32) as card_funding,
    left(coalesce(payment_methods.card ->> 'last4', ''), 4) as card_last4,
    (payment_methods.card ->> 'exp_month')::smallint as card_exp_month,
    (payment_methods.card ->> 'exp_year')::smallint as card_exp_year,
    left(coalesce(payment_methods.card ->> 'fingerprint', ''), 64) as card_fingerprint,
    left(upper(coalesce(payment_methods.card ->> 'country', '')), 2) as card_country,
    left(coalesce(payment_methods.card -> 'wallet' ->> 'type', ''), 32) as wallet,
    payment_methods.created,
    payment_methods.livemode,
    payment_methods.synced_at
from payment_methods
