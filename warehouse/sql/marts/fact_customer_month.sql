-- purpose: keep fact_customer_month, the to-date columns included, equal to int_customer_months
--   for some customers (or all): upsert their months, delete months left without movement
-- grain: one row per customer per calendar month (reporting time zone) with any movement
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool)
-- forms: delta = some customers (all_customers false), after the aggregates that subtract
--   these rows; full = everyone (all_customers true)
with current_customer_months as (
    select
        customer_month.customer_id, customer_month.month, customer_month.first_payment_month,
        customer_month.gross, customer_month.refunds, customer_month.disputes,
        customer_month.net, customer_month.fees, customer_month.charge_count,
        customer_month.failed_charge_count, customer_month.net_to_date,
        customer_month.active_months_to_date, customer_month.last_payment_month_to_date,
        customer_month.next_month
    from int_customer_months as customer_month
    where %(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[])
),

upserted_customer_months as (
    insert into fact_customer_month (
        customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count, net_to_date, active_months_to_date,
        last_payment_month_to_date, next_month, updated_at
    )
    select
        customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count, net_to_date, active_months_to_date,
        last_payment_month_to_date, next_month, now() as updated_at
    from current_customer_months
    order by customer_id, month
    on conflict (customer_id, month) do update set
        first_payment_month = excluded.first_payment_month,
        gross = excluded.gross,
        refunds = excluded.refunds,
        disputes = excluded.disputes,
        net = excluded.net,
        fees = excluded.fees,
        charge_count = excluded.charge_count,
        failed_charge_count = excluded.failed_charge_count,
        net_to_date = excluded.net_to_date,
        active_months_to_date = excluded.active_months_to_date,
        last_payment_month_to_date = excluded.last_payment_month_to_date,
        next_month = excluded.next_month,
        updated_at = excluded.updated_at
    where (
        fact_customer_month.first_payment_month, fact_customer_month.gross,
        fact_customer_month.refunds, fact_customer_month.disputes, fact_customer_month.fees,
        fact_customer_month.charge_count, fact_customer_month.failed_charge_count,
        fact_customer_month.net_to_date, fact_customer_month.active_months_to_date,
        fact_customer_month.last_payment_month_to_date, fact_customer_month.next_month
    ) is distinct from (
        excluded.first_payment_month, excluded.gross, excluded.refunds, excluded.disputes,
        excluded.fees, excluded.charge_count, excluded.failed_charge_count,
        excluded.net_to_date, excluded.active_months_to_date,
        excluded.last_payment_month_to_date, excluded.next_month
    )
    returning customer_id
),

-- customer-months left without any movement
pruned_customer_months as (
    delete from fact_customer_month as customer_month
    where
        (%(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[]))
        and not exists (
            select 1
            from current_customer_months as kept
            where kept.customer_id = customer_month.customer_id and kept.month = customer_month.month
        )
    returning customer_id
)

select
    (select count(*) from upserted_customer_months) as customer_months_upserted,
    (select count(*) from pruned_customer_months) as customer_months_pruned
