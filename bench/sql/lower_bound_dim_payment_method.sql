-- purpose: lower bound for rebuild_warehouse: dim_payment_method by one plain INSERT ... SELECT
-- grain: one row per Stripe payment method
insert into dim_payment_method (
    stripe_id, customer_id, type, card_brand, card_funding, card_last4, card_exp_month,
    card_exp_year, card_fingerprint, card_country, wallet, created, detached, livemode, updated_at
)
select
    payment_method.id as stripe_id,
    payment_method.customer_id,
    coalesce(payment_method.stripe_data ->> 'type', '') as type,
    coalesce(payment_method.stripe_data -> 'card' ->> 'brand', '') as card_brand,
    coalesce(payment_method.stripe_data -> 'card' ->> 'funding', '') as card_funding,
    coalesce(payment_method.stripe_data -> 'card' ->> 'last4', '') as card_last4,
    (payment_method.stripe_data -> 'card' ->> 'exp_month')::smallint as card_exp_month,
    (payment_method.stripe_data -> 'card' ->> 'exp_year')::smallint as card_exp_year,
    coalesce(payment_method.stripe_data -> 'card' ->> 'fingerprint', '') as card_fingerprint,
    coalesce(payment_method.stripe_data -> 'card' ->> 'country', '') as card_country,
    coalesce(payment_method.stripe_data -> 'card' -> 'wallet' ->> 'type', '') as wallet,
    payment_method.created,
    payment_method.customer_id is null as detached,
    payment_method.livemode,
    now() as updated_at
from djstripe_paymentmethod as payment_method
