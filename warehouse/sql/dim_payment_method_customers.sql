-- purpose: the customers these payment methods belong to
-- grain: one row per customer
-- params: ids (text[]: payment method ids)
select distinct payment_method.customer_id
from dim_payment_method as payment_method
where payment_method.stripe_id = any(%(ids)s::text[]) and payment_method.customer_id is not null
