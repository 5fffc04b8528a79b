-- purpose: dj-stripe's products, renamed
-- grain: one row per product
-- params: none (a view, created by migration)
create or replace view stg_stripe__products as
with products as (
    select product.id, product.name, product.active, product.livemode
    from djstripe_product as product
)

select
    products.id as product_id,
    coalesce(products.name, '') as name,
    products.active,
    products.livemode
from products
