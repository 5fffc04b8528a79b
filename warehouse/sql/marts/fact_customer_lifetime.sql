-- purpose: keep fact_customer_lifetime: each customer's whole history (first and last paying
--   month, last month with any movement, paying months, total net)
-- grain: one row per customer with any movement
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool)
-- forms: delta = some customers (all_customers false): recompute their rows, delete those left
--   without movement; full = everyone (all_customers true), after report_aggregates_clear
-- Also keeps fact_last_payment_month (paying customers per last paying month and last activity
-- month): +1 for each changed customer's new lifetime, -1 for their stored one, which every
-- CTE of this statement still reads (one snapshot); the customers' advisory locks keep two
-- refreshes of one customer apart, and the counts add up under concurrent refreshes.
with customer_lifetimes as (
    select
        customer_month.customer_id,
        min(customer_month.month) filter (where customer_month.charge_count > 0)
            as first_payment_month,
        max(customer_month.month) filter (where customer_month.charge_count > 0)
            as last_payment_month,
        max(customer_month.month) as last_activity_month,
        count(*) filter (where customer_month.charge_count > 0) as active_months,
        sum(customer_month.net) as total_net
    from int_customer_months as customer_month
    where %(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[])
    group by customer_month.customer_id
),

lifetime_changes as (
    insert into fact_customer_lifetime (
        customer_id, first_payment_month, last_payment_month, last_activity_month,
        active_months, total_net
    )
    select
        customer_id, first_payment_month, last_payment_month, last_activity_month,
        active_months, total_net
    from customer_lifetimes
    order by customer_id
    on conflict (customer_id) do update set
        first_payment_month = excluded.first_payment_month,
        last_payment_month = excluded.last_payment_month,
        last_activity_month = excluded.last_activity_month,
        active_months = excluded.active_months,
        total_net = excluded.total_net
    where (
        fact_customer_lifetime.first_payment_month, fact_customer_lifetime.last_payment_month,
        fact_customer_lifetime.last_activity_month, fact_customer_lifetime.active_months,
        fact_customer_lifetime.total_net
    ) is distinct from (
        excluded.first_payment_month, excluded.last_payment_month, excluded.last_activity_month,
        excluded.active_months, excluded.total_net
    )
    returning customer_id
),

-- the changed customers' lifetimes as stored before this statement
previous_lifetimes as (
    select lifetime.last_payment_month, lifetime.last_activity_month
    from fact_customer_lifetime as lifetime
    where (%(all_customers)s or lifetime.customer_id = any(%(customer_ids)s::text[]))
        and lifetime.last_payment_month is not null
),

last_payment_month_changes as (
    select last_payment_month, last_activity_month, sum(customers)::integer as customers
    from (
        select last_payment_month, last_activity_month, 1 as customers
        from customer_lifetimes
        where last_payment_month is not null
        union all
        select last_payment_month, last_activity_month, -1 as customers
        from previous_lifetimes
    ) as changes
    group by last_payment_month, last_activity_month
    having sum(customers) <> 0
),

last_payment_month_counts as (
    insert into fact_last_payment_month as counts (
        last_payment_month, last_activity_month, customers
    )
    select last_payment_month, last_activity_month, customers
    from last_payment_month_changes
    order by last_payment_month, last_activity_month
    on conflict (last_payment_month, last_activity_month) do update
        set customers = counts.customers + excluded.customers
    returning last_payment_month
),

-- customers left without any movement
lifetime_removals as (
    delete from fact_customer_lifetime as lifetime
    where
        (%(all_customers)s or lifetime.customer_id = any(%(customer_ids)s::text[]))
        and not exists (
            select 1 from customer_lifetimes where customer_lifetimes.customer_id = lifetime.customer_id
        )
    returning customer_id
)

select
    (select count(*) from lifetime_changes) + (select count(*) from lifetime_removals)
        as lifetimes_changed
