-- purpose: MRR by plan (price) at the end of a day, with its product and subscriptions
-- grain: one row per price with MRR > 0 that day
-- params: day (date)
-- MRR of a price on a day = the sum of fact_mrr_change up to that day; its subscriptions are
-- those whose MRR at that price is > 0 then. One pass over the changes, grouped twice (a
-- count per price from a correlated subquery re-read the grouped changes for every price).
with subscription_prices as (
    select change.price_id, change.subscription_id, sum(change.amount) as mrr
    from fact_mrr_change as change
    where change.date <= %(day)s::date
    group by change.price_id, change.subscription_id
),

price_totals as (
    select
        subscription_prices.price_id,
        sum(subscription_prices.mrr) as mrr,
        count(*) filter (where subscription_prices.mrr > 0) as subscriptions
    from subscription_prices
    group by subscription_prices.price_id
)

select
    price_totals.price_id,
    coalesce(nullif(price.nickname, ''), price_totals.price_id) as plan,
    coalesce(product.name, '') as product,
    coalesce(price.interval, '') as interval,
    price.interval_count,
    coalesce(price.currency, '') as price_currency,
    price_totals.subscriptions,
    price_totals.mrr
from price_totals
left join dim_price as price on price.stripe_id = price_totals.price_id
left join dim_product as product on product.stripe_id = price.product_id
where price_totals.mrr > 0
order by price_totals.mrr desc, price_totals.price_id
