-- purpose: upsert dim_coupon from the staged coupons
-- grain: one row per coupon
-- params: all_rows (bool), ids (text[]: coupon ids; ignored when all_rows)
with staged_coupons as (
    select
        coupons.coupon_id, coupons.name, coupons.percent_off, coupons.amount_off,
        coupons.currency, coupons.duration, coupons.duration_in_months, coupons.livemode
    from stg_stripe__coupons as coupons
    where %(all_rows)s or coupons.coupon_id = any(%(ids)s::text[])
)

insert into dim_coupon (
    stripe_id, name, percent_off, amount_off, currency, duration, duration_in_months,
    livemode, updated_at
)
select
    staged_coupons.coupon_id,
    staged_coupons.name,
    staged_coupons.percent_off,
    staged_coupons.amount_off,
    staged_coupons.currency,
    staged_coupons.duration,
    staged_coupons.duration_in_months,
    staged_coupons.livemode,
    now() as updated_at
from staged_coupons
on conflict (stripe_id) do update set
    name = excluded.name,
    percent_off = excluded.percent_off,
    amount_off = excluded.amount_off,
    currency = excluded.currency,
    duration = excluded.duration,
    duration_in_months = excluded.duration_in_months,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (
    dim_coupon.name, dim_coupon.percent_off, dim_coupon.amount_off, dim_coupon.currency,
    dim_coupon.duration, dim_coupon.duration_in_months, dim_coupon.livemode
) is distinct from (
    excluded.name, excluded.percent_off, excluded.amount_off, excluded.currency,
    excluded.duration, excluded.duration_in_months, excluded.livemode
)
