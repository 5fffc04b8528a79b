-- purpose: upsert dim_price from the staged prices, with the display monthly amount
--   (unit_amount × month factor, rounded half-even)
-- grain: one row per price
-- params: all_rows (bool), ids (text[]: price ids; ignored when all_rows)
with staged_prices as (
    select
        prices.price_id,
        coalesce(prices.product_id, '') as product_id,
        prices.nickname,
        coalesce(prices.currency, '') as currency,
        prices.unit_amount,
        prices.price_type,
        prices.billing_scheme,
        prices.interval,
        prices.interval_count,
        prices.usage_type,
        case
            when prices.is_recurring and prices.unit_amount is not null
                then warehouse_round_half_even(
                    prices.unit_amount::numeric * prices.month_factor_numerator,
                    prices.month_factor_denominator
                )
        end as monthly_amount,
        prices.active,
        prices.livemode
    from stg_stripe__prices as prices
    where %(all_rows)s or prices.price_id = any(%(ids)s::text[])
)

insert into dim_price (
    stripe_id, product_id, nickname, currency, unit_amount, price_type, billing_scheme,
    interval, interval_count, usage_type, monthly_amount, active, livemode, updated_at
)
select
    staged_prices.price_id,
    staged_prices.product_id,
    staged_prices.nickname,
    staged_prices.currency,
    staged_prices.unit_amount,
    staged_prices.price_type,
    staged_prices.billing_scheme,
    staged_prices.interval,
    staged_prices.interval_count,
    staged_prices.usage_type,
    staged_prices.monthly_amount,
    staged_prices.active,
    staged_prices.livemode,
    now() as updated_at
from staged_prices
on conflict (stripe_id) do update set
    product_id = excluded.product_id,
    nickname = excluded.nickname,
    currency = excluded.currency,
    unit_amount = excluded.unit_amount,
    price_type = excluded.price_type,
    billing_scheme = excluded.billing_scheme,
    interval = excluded.interval,
    interval_count = excluded.interval_count,
    usage_type = excluded.usage_type,
    monthly_amount = excluded.monthly_amount,
    active = excluded.active,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (
    dim_price.product_id, dim_price.nickname, dim_price.currency, dim_price.unit_amount,
    dim_price.price_type, dim_price.billing_scheme, dim_price.interval,
    dim_price.interval_count, dim_price.usage_type, dim_price.monthly_amount,
    dim_price.active, dim_price.livemode
) is distinct from (
    excluded.product_id, excluded.nickname, excluded.currency, excluded.unit_amount,
    excluded.price_type, excluded.billing_scheme, excluded.interval, excluded.interval_count,
    excluded.usage_type, excluded.monthly_amount, excluded.active, excluded.livemode
)
