-- baseline (original analysis, query 6): customers returning from January
-- purpose: users with a transaction in January of the current year, then per month of the
--   current year how many of them have a transaction
-- grain: one row per calendar month of as_of's year
-- translation: see arpu.sql; "current year" is as_of's year
-- params: as_of
with january_users as (
    select distinct customer.user_id
    from fact_transaction as txn
    inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
    inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
    where
        txn.transaction_type = 'charge'
        and txn.status = 'succeeded'
        and txn.occurred_at >= date_trunc('year', %(as_of)s::timestamptz)
        and txn.occurred_at < date_trunc('year', %(as_of)s::timestamptz) + interval '1 month'
)

select
    date_part('month', txn.occurred_at) as calendar_month,
    count(distinct customer.user_id) as returning_users
from fact_transaction as txn
inner join dim_payment_method as payment_mode on payment_mode.stripe_id = txn.payment_method_id
inner join dim_customer as customer on customer.stripe_id = payment_mode.customer_id
inner join january_users on january_users.user_id = customer.user_id
where
    txn.transaction_type = 'charge'
    and txn.status = 'succeeded'
    and txn.occurred_at >= date_trunc('year', %(as_of)s::timestamptz)
    and txn.occurred_at < date_trunc('year', %(as_of)s::timestamptz) + interval '1 year'
group by calendar_month
order by calendar_month
