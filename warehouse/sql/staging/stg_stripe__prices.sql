-- purpose: dj-stripe's prices with the recurring fields parsed out of the JSON once, and the
--   exact factor (numerator / denominator) that turns one billing interval into a month:
--   month 1, year 1/12, week 52/12, day 365/12, each divided by interval_count
-- grain: one row per price
-- params: none (a view, created by migration)
create or replace view stg_stripe__prices as
with prices as (
    select
        price.id,
        price.stripe_data,
        price.product_id,
        price.nickname,
        price.currency,
        price.active,
        price.livemode
    from djstripe_price as price
),

parsed_prices as (
    select
        prices.id as price_id,
        coalesce(
            prices.product_id,
            prices.stripe_data -> 'product' ->> 'id',
            prices.stripe_data ->> 'product'
        ) as product_id,
        coalesce(prices.nickname, '') as nickname,
        lower(coalesce(nullif(prices.currency, ''), prices.stripe_data ->> 'currency')) as currency,
        (prices.stripe_data ->> 'unit_amount')::bigint as unit_amount,
        coalesce(
            (prices.stripe_data ->> 'unit_amount_decimal')::numeric,
            (prices.stripe_data ->> 'unit_amount')::numeric
        ) as unit_amount_decimal,
        coalesce(prices.stripe_data ->> 'type', '') as price_type,
        coalesce(prices.stripe_data ->> 'billing_scheme', '') as billing_scheme,
        coalesce(prices.stripe_data -> 'recurring' ->> 'interval', '') as interval,
        (prices.stripe_data -> 'recurring' ->> 'interval_count')::integer as interval_count,
        coalesce(prices.stripe_data -> 'recurring' ->> 'usage_type', '') as usage_type,
        prices.active,
        prices.livemode
    from prices
)

select
    parsed_prices.price_id,
    parsed_prices.product_id,
    parsed_prices.nickname,
    parsed_prices.currency,
    parsed_prices.unit_amount,
    parsed_prices.unit_amount_decimal,
    parsed_prices.price_type,
    parsed_prices.billing_scheme,
    parsed_prices.interval,
    parsed_prices.interval_count,
    parsed_prices.usage_type,
    parsed_prices.active,
    parsed_prices.livemode,
    -- counts for MRR: recurring, licensed (metered usage is not recurring revenue)
    (
        parsed_prices.price_type = 'recurring'
        and parsed_prices.usage_type in ('', 'licensed')
        and parsed_prices.interval in ('day', 'week', 'month', 'year')
        and coalesce(parsed_prices.interval_count, 0) > 0
    ) as is_recurring,
    case parsed_prices.interval
        when 'month' then 1
        when 'year' then 1
        when 'week' then 52
        when 'day' then 365
    end as month_factor_numerator,
    case parsed_prices.interval
        when 'month' then 1
        when 'year' then 12
        when 'week' then 12
        when 'day' then 12
    end * parsed_prices.interval_count as month_factor_denominator
from parsed_prices
