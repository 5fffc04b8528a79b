-- purpose: the MRR movements of one month and type (the drill-down), with the customer and
--   the plan that moved most
-- grain: one row per movement (customer × day)
-- params: month (first day), movement_type, today (date: later movements stay out),
--   row_limit (integer or null: all)
with month_movements as (
    select
        movement.customer_id,
        movement.date,
        movement.movement_type,
        movement.mrr_before,
        movement.mrr_after,
        movement.amount,
        movement.subscription_id,
        movement.price_id
    from fact_mrr_movement as movement
    where
        movement.month = %(month)s::date
        and movement.movement_type = %(movement_type)s
        and movement.date <= %(today)s::date
)

select
    month_movements.date,
    month_movements.customer_id,
    coalesce(customer.email, '') as email,
    month_movements.subscription_id,
    coalesce(nullif(price.nickname, ''), product.name, month_movements.price_id) as plan,
    month_movements.mrr_before,
    month_movements.mrr_after,
    month_movements.amount
from month_movements
left join dim_customer as customer on customer.stripe_id = month_movements.customer_id
left join dim_price as price on price.stripe_id = month_movements.price_id
left join dim_product as product on product.stripe_id = price.product_id
order by abs(month_movements.amount) desc, month_movements.date, month_movements.customer_id
limit %(row_limit)s
