-- purpose: dj-stripe's coupons with their terms parsed out of the JSON
-- grain: one row per coupon
-- params: none (a view, created by migration)
create or replace view stg_stripe__coupons as
with coupons as (
    select coupon.id, coupon.stripe_data, coupon.livemode
    from djstripe_coupon as coupon
)

select
    coupons.id as coupon_id,
    coalesce(coupons.stripe_data ->> 'name', '') as name,
    (coupons.stripe_data ->> 'percent_off')::numeric as percent_off,
    (coupons.stripe_data ->> 'amount_off')::bigint as amount_off,
    lower(coalesce(coupons.stripe_data ->> 'currency', '')) as currency,
    coalesce(coupons.stripe_data ->> 'duration', '') as duration,
    (coupons.stripe_data ->> 'duration_in_months')::integer as duration_in_months,
    coupons.livemode
from coupons
