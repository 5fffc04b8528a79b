-- purpose: keep fact_channel_mrr_day in step with the customers' MRR movements: each customer
--   whose movements (fact_mrr_movement) or user (dim_customer.user_id) differ from what
--   fact_mrr_channel_customer says they add is taken out of their stored user's channel and
--   added to their current user's channel (a user's channel is their first install's, from
--   fact_funnel_user; channel 0: no user, or a user without a first install yet)
-- grain: fact_channel_mrr_day: one row per (date, channel_id); fact_mrr_channel_customer: one
--   row per customer with MRR movements
-- triggered by: a customer's MRR movements changing (change set kind mrr_customers, recorded by
--   the subscriptions step) or their dim_customer row being synced (kind customer)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool)
-- forms: delta = these customers (all_customers false); full = every customer (all_customers
--   true), after funnel_clear and the funnel users' full form
-- Per movement day: the change of the customer's MRR (mrr_after minus the previous day's
-- mrr_after, 0 before the first) and of their having MRR > 0. Same locks and rules as
-- fact_channel_funnel_customers.sql (idempotent; cells upserted in key order, by
-- fragments/channel_mrr_day_cells.sql, which fact_channel_funnel_users.sql includes too).
with customer_movements as (
    select
        movement.customer_id,
        movement.date,
        movement.mrr_after - coalesce(lag(movement.mrr_after) over customer_days, 0) as mrr_change,
        (movement.mrr_after > 0)::integer
        - (coalesce(lag(movement.mrr_after) over customer_days, 0) > 0)::integer as customers_change
    from fact_mrr_movement as movement
    where %(all_customers)s or movement.customer_id = any(%(customer_ids)s::text[])
    window customer_days as (partition by movement.customer_id order by movement.date)
),

current_customers as (
    select
        customer_movements.customer_id,
        customer.user_id,
        array_agg(customer_movements.date order by customer_movements.date) as dates,
        array_agg(customer_movements.mrr_change order by customer_movements.date) as mrr_changes,
        array_agg(customer_movements.customers_change order by customer_movements.date)
            as customers_changes
    from customer_movements
    inner join dim_customer as customer on customer.stripe_id = customer_movements.customer_id
    group by customer_movements.customer_id, customer.user_id
),

counted_customers as (
    select
        counted.customer_id, counted.user_id, counted.dates, counted.mrr_changes,
        counted.customers_changes
    from fact_mrr_channel_customer as counted
    where %(all_customers)s or counted.customer_id = any(%(customer_ids)s::text[])
),

changed_customers as (
    select
        coalesce(current_customers.customer_id, counted_customers.customer_id) as customer_id,
        counted_customers.customer_id is not null as was_counted,
        counted_customers.user_id as old_user_id,
        counted_customers.dates as old_dates,
        counted_customers.mrr_changes as old_mrr_changes,
        counted_customers.customers_changes as old_customers_changes,
        current_customers.customer_id is not null as is_counted,
        current_customers.user_id as new_user_id,
        current_customers.dates as new_dates,
        current_customers.mrr_changes as new_mrr_changes,
        current_customers.customers_changes as new_customers_changes
    from current_customers
    full join counted_customers on counted_customers.customer_id = current_customers.customer_id
    where (
        current_customers.customer_id, current_customers.user_id, current_customers.dates,
        current_customers.mrr_changes, current_customers.customers_changes
    ) is distinct from (
        counted_customers.customer_id, counted_customers.user_id, counted_customers.dates,
        counted_customers.mrr_changes, counted_customers.customers_changes
    )
),

mrr_cell_changes as (
    select
        days.date,
        coalesce(counted_user.channel_id, 0) as channel_id,
        -days.mrr_change as mrr_change,
        -days.customers_change as customers_change
    from changed_customers
    cross join lateral unnest(
        changed_customers.old_dates,
        changed_customers.old_mrr_changes,
        changed_customers.old_customers_changes
    ) as days (date, mrr_change, customers_change)
    left join fact_funnel_user as counted_user on counted_user.user_id = changed_customers.old_user_id
    where changed_customers.was_counted
    union all
    select
        days.date,
        coalesce(counted_user.channel_id, 0),
        days.mrr_change,
        days.customers_change
    from changed_customers
    cross join lateral unnest(
        changed_customers.new_dates,
        changed_customers.new_mrr_changes,
        changed_customers.new_customers_changes
    ) as days (date, mrr_change, customers_change)
    left join fact_funnel_user as counted_user on counted_user.user_id = changed_customers.new_user_id
    where changed_customers.is_counted
),

-- include: fragments/channel_mrr_day_cells.sql

counted_upserts as (
    insert into fact_mrr_channel_customer as counted (
        customer_id, user_id, dates, mrr_changes, customers_changes
    )
    select customer_id, new_user_id, new_dates, new_mrr_changes, new_customers_changes
    from changed_customers
    where is_counted
    order by customer_id
    on conflict (customer_id) do update
        set
            user_id = excluded.user_id,
            dates = excluded.dates,
            mrr_changes = excluded.mrr_changes,
            customers_changes = excluded.customers_changes
    returning counted.customer_id
),

counted_removals as (
    delete from fact_mrr_channel_customer as counted
    where counted.customer_id in (
        select changed_customers.customer_id
        from changed_customers
        where not changed_customers.is_counted
    )
    returning counted.customer_id
)

select
    (select count(*) from changed_customers) as customers_changed,
    (select count(*) from mrr_cells) as cells_changed
