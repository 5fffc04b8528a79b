-- purpose: MRR by plan (price) at the end of a day, with its product and subscriptions
-- grain: one row per price with MRR > 0 that day
-- params: day (date)
-- MRR of a price on a day = the sum of its changes up to that day: the months before the
-- day's month from mart_mrr_price_month, the day's month up to the day from
-- mart_mrr_price_day (a few rows per day, whatever the number of subscriptions). Its
-- subscriptions are those whose MRR at that price is > 0 then, counted the same way (a change
-- moves a subscription in when its MRR at the price goes from <= 0 to > 0, out the other way
-- round).
with closed_months as (
    select
        price_month.price_id,
        sum(price_month.mrr_change) as mrr,
        sum(price_month.subscriptions_change) as subscriptions
    from mart_mrr_price_month as price_month
    where price_month.month < date_trunc('month', %(day)s::date)::date
    group by price_month.price_id
),

open_month as (
    select
        price_day.price_id,
        sum(price_day.mrr_change) as mrr,
        sum(price_day.subscriptions_change) as subscriptions
    from mart_mrr_price_day as price_day
    where
        price_day.date >= date_trunc('month', %(day)s::date)::date
        and price_day.date <= %(day)s::date
    group by price_day.price_id
),

price_totals as (
    select
        coalesce(closed_months.price_id, open_month.price_id) as price_id,
        coalesce(closed_months.mrr, 0) + coalesce(open_month.mrr, 0) as mrr,
        coalesce(closed_months.subscriptions, 0) + coalesce(open_month.subscriptions, 0)
            as subscriptions
    from closed_months
    full outer join open_month on open_month.price_id = closed_months.price_id
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
