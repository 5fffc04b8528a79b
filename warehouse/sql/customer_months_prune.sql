-- purpose: drop fact_customer_month rows whose customer-month no longer has any movement
-- grain: one row per customer per calendar month (reporting time zone)
-- params: time_zone, all_customers (bool), customer_ids (text[]; ignored when all_customers)
with customer_months_with_movement as (
    select distinct
        txn.customer_id,
        date_trunc('month', txn.occurred_at at time zone %(time_zone)s)::date as month
    from fact_transaction as txn
    where
        txn.customer_id is not null
        and (%(all_customers)s or txn.customer_id = any(%(customer_ids)s::text[]))
)

delete from fact_customer_month as customer_month
where
    (%(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[]))
    and not exists (
        select 1
        from customer_months_with_movement as moved
        where moved.customer_id = customer_month.customer_id and moved.month = customer_month.month
    )
