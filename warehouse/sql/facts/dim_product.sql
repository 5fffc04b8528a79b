-- purpose: upsert dim_product from the staged products
-- grain: one row per product
-- params: all_rows (bool), ids (text[]: product ids; ignored when all_rows)
with staged_products as (
    select products.product_id, products.name, products.active, products.livemode
    from stg_stripe__products as products
    where %(all_rows)s or products.product_id = any(%(ids)s::text[])
)

insert into dim_product (stripe_id, name, active, livemode, updated_at)
select
    staged_products.product_id,
    staged_products.name,
    staged_products.active,
    staged_products.livemode,
    now() as updated_at
from staged_products
on conflict (stripe_id) do update set
    name = excluded.name,
    active = excluded.active,
    livemode = excluded.livemode,
    updated_at = excluded.updated_at
where (dim_product.name, dim_product.active, dim_product.livemode)
    is distinct from (excluded.name, excluded.active, excluded.livemode)
