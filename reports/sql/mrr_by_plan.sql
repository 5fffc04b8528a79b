-- purpose: MRR by plan (price) at the end of a day, with its product and subscriptions
-- grain: one row per price with MRR > 0 that day
-- params: day (date)
-- MRR of a price on a day = the sum of fact_mrr_change up to that day.
with price_totals as (
    select
        change.price_id,
        sum(change.amount) as mrr,
        count(distinct change.subscription_id) filter (where change.amount <> 0) as changes
    from fact_mrr_change as change
    where change.date <= %(day)s::date
    group by change.price_id
),

subscription_totals as (
    select change.price_id, change.subscription_id
    from fact_mrr_change as change
    where change.date <= %(day)s::date
    group by change.price_id, change.subscription_id
    having sum(change.amount) > 0
)

select
    price_totals.price_id,
    coalesce(nullif(price.nickname, ''), price_totals.price_id) as plan,
    coalesce(product.name, '') as product,
    coalesce(price.interval, '') as interval,
    price.interval_count,
    coalesce(price.currency, '') as price_currency,
    (
        select count(*) from subscription_totals
        where subscription_totals.price_id = price_totals.price_id
    ) as subscriptions,
    price_totals.mrr
from price_totals
left join dim_price as price on price.stripe_id = price_totals.price_id
left join dim_product as product on product.stripe_id = price.product_id
where price_totals.mrr > 0
order by price_totals.mrr desc, price_totals.price_id
