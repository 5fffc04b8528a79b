-- purpose: keep fact_channel_funnel_day's paying customers and net revenue in step with the
--   customers: each customer whose lifetime (fact_customer_lifetime) or user
--   (dim_customer.user_id) differs from what fact_funnel_customer says they add is taken out
--   of their stored user's cell and added to their current user's cell (a cell is the
--   user's row in fact_funnel_user; a user without a first install has none yet, and the
--   install path adds their customers when it arrives)
-- grain: fact_channel_funnel_day: one row per (date_sk, channel_id, os_name);
--   fact_funnel_customer: one row per customer with movements and a user id
-- triggered by: a customer's movements changing (change set kind customer_facts) or their
--   dim_customer row being synced (kind customer: the user id may have changed), after
--   fact_customer_lifetime's own delta
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool)
-- forms: delta = these customers (all_customers false); full = every customer (all_customers
--   true), after funnel_clear and the users' full form
-- Idempotent. Runs after funnel_customers_lock took the locks of these customers' users (stored
-- and current) and the customers' own advisory locks are held (customers_lock): its snapshot
-- sees every committed change to those users' cells, and nobody moves them until this
-- commits. Cells are upserted in key order.
with current_customers as (
    select
        lifetime.customer_id,
        customer.user_id,
        lifetime.first_payment_month is not null as paying,
        lifetime.total_net as net_revenue
    from fact_customer_lifetime as lifetime
    inner join dim_customer as customer on customer.stripe_id = lifetime.customer_id
    where
        (%(all_customers)s or lifetime.customer_id = any(%(customer_ids)s::text[]))
        and customer.user_id is not null
),

counted_customers as (
    select counted.customer_id, counted.user_id, counted.paying, counted.net_revenue
    from fact_funnel_customer as counted
    where %(all_customers)s or counted.customer_id = any(%(customer_ids)s::text[])
),

changed_customers as (
    select
        coalesce(current_customers.customer_id, counted_customers.customer_id) as customer_id,
        counted_customers.user_id as old_user_id,
        counted_customers.paying as old_paying,
        counted_customers.net_revenue as old_net_revenue,
        current_customers.user_id as new_user_id,
        current_customers.paying as new_paying,
        current_customers.net_revenue as new_net_revenue
    from current_customers
    full join counted_customers on counted_customers.customer_id = current_customers.customer_id
    where (current_customers.user_id, current_customers.paying, current_customers.net_revenue)
        is distinct from (counted_customers.user_id, counted_customers.paying, counted_customers.net_revenue)
),

cell_changes as (
    select
        counted_user.date_sk,
        counted_user.channel_id,
        counted_user.os_name,
        -(changed_customers.old_paying::integer) as paying_customers,
        -changed_customers.old_net_revenue as net_revenue
    from changed_customers
    inner join fact_funnel_user as counted_user on counted_user.user_id = changed_customers.old_user_id
    union all
    select
        counted_user.date_sk,
        counted_user.channel_id,
        counted_user.os_name,
        changed_customers.new_paying::integer,
        changed_customers.new_net_revenue
    from changed_customers
    inner join fact_funnel_user as counted_user on counted_user.user_id = changed_customers.new_user_id
),

cell_sums as (
    select
        date_sk,
        channel_id,
        os_name,
        sum(paying_customers)::integer as paying_customers,
        sum(net_revenue)::bigint as net_revenue
    from cell_changes
    group by date_sk, channel_id, os_name
    having sum(paying_customers) <> 0 or sum(net_revenue) <> 0
),

cells as (
    insert into fact_channel_funnel_day as funnel_day (
        date_sk, channel_id, os_name, users, paying_customers, net_revenue
    )
    select date_sk, channel_id, os_name, 0, paying_customers, net_revenue
    from cell_sums
    order by date_sk, channel_id, os_name
    on conflict (date_sk, channel_id, os_name) do update
        set
            paying_customers = funnel_day.paying_customers + excluded.paying_customers,
            net_revenue = funnel_day.net_revenue + excluded.net_revenue
    returning funnel_day.date_sk
),

counted_upserts as (
    insert into fact_funnel_customer as counted (customer_id, user_id, paying, net_revenue)
    select customer_id, new_user_id, new_paying, new_net_revenue
    from changed_customers
    where new_user_id is not null
    order by customer_id
    on conflict (customer_id) do update
        set
            user_id = excluded.user_id,
            paying = excluded.paying,
            net_revenue = excluded.net_revenue
    returning counted.customer_id
),

counted_removals as (
    delete from fact_funnel_customer as counted
    where counted.customer_id in (
        select changed_customers.customer_id
        from changed_customers
        where changed_customers.new_user_id is null
    )
    returning counted.customer_id
)

select
    (select count(*) from changed_customers) as customers_changed,
    (select count(*) from cells) as cells_changed
