-- purpose: keep fact_channel_funnel_day's cells in step with the users' first installs: each
--   user whose first install (fact_user_acquisition) is not the cell fact_funnel_user says
--   they are counted in moves there, with their customers (fact_funnel_customer), and their
--   customers' MRR moves to that cell's channel in fact_channel_mrr_day
-- grain: fact_channel_funnel_day: one row per (date_sk, channel_id, os_name); fact_funnel_user:
--   one row per user with a first install; fact_channel_mrr_day: one row per (date, channel_id)
-- triggered by: installs inserted (change set kind install_users: their user ids), after the
--   install write path has upserted fact_user_acquisition in the same transaction
-- params: user_ids (text[]; the delta form's users), all_users (bool)
-- forms: delta = these users (all_users false); full = every user (all_users true), after
--   funnel_clear emptied the three funnel tables (then the customers' form, which fills
--   fact_funnel_customer, runs next)
-- Idempotent: a user already counted in their first install's cell changes nothing. Runs after
-- funnel_users_lock took the users' locks, so its snapshot sees every committed change to
-- these users' cells and customers, and nobody else changes them until this commits. Cells
-- are upserted in key order, so concurrent deltas lock them in the same order.
with first_install_cells as (
    select
        acquisition.user_id,
        acquisition.date_sk,
        acquisition.channel_id,
        -- by the client's key, not a join: the generic plan hashed all of dim_client
        (
            select client.os_name from dim_client as client
            where client.client_sk = acquisition.client_id
        ) as os_name
    from fact_user_acquisition as acquisition
    where %(all_users)s or acquisition.user_id = any(%(user_ids)s::text[])
),

counted_cells as (
    select counted.user_id, counted.date_sk, counted.channel_id, counted.os_name
    from fact_funnel_user as counted
    where %(all_users)s or counted.user_id = any(%(user_ids)s::text[])
),

moved_users as (
    select
        coalesce(first_install_cells.user_id, counted_cells.user_id) as user_id,
        counted_cells.date_sk as old_date_sk,
        counted_cells.channel_id as old_channel_id,
        counted_cells.os_name as old_os_name,
        first_install_cells.date_sk as new_date_sk,
        first_install_cells.channel_id as new_channel_id,
        first_install_cells.os_name as new_os_name
    from first_install_cells
    full join counted_cells on counted_cells.user_id = first_install_cells.user_id
    where (first_install_cells.date_sk, first_install_cells.channel_id, first_install_cells.os_name)
        is distinct from (counted_cells.date_sk, counted_cells.channel_id, counted_cells.os_name)
),

-- what the moved users' customers add to their cell
moved_customers as (
    select
        counted.user_id,
        count(*) filter (where counted.paying) as paying_customers,
        sum(counted.net_revenue) as net_revenue
    from fact_funnel_customer as counted
    where counted.user_id in (select moved_users.user_id from moved_users)
    group by counted.user_id
),

cell_changes as (
    select
        moved_users.old_date_sk as date_sk,
        moved_users.old_channel_id as channel_id,
        moved_users.old_os_name as os_name,
        -1 as users,
        -coalesce(moved_customers.paying_customers, 0) as paying_customers,
        -coalesce(moved_customers.net_revenue, 0) as net_revenue
    from moved_users
    left join moved_customers on moved_customers.user_id = moved_users.user_id
    where moved_users.old_date_sk is not null
    union all
    select
        moved_users.new_date_sk,
        moved_users.new_channel_id,
        moved_users.new_os_name,
        1,
        coalesce(moved_customers.paying_customers, 0),
        coalesce(moved_customers.net_revenue, 0)
    from moved_users
    left join moved_customers on moved_customers.user_id = moved_users.user_id
    where moved_users.new_date_sk is not null
),

cell_sums as (
    select
        date_sk,
        channel_id,
        os_name,
        sum(users)::integer as users,
        sum(paying_customers)::integer as paying_customers,
        sum(net_revenue)::bigint as net_revenue
    from cell_changes
    group by date_sk, channel_id, os_name
    having sum(users) <> 0 or sum(paying_customers) <> 0 or sum(net_revenue) <> 0
),

cells as (
    insert into fact_channel_funnel_day as funnel_day (
        date_sk, channel_id, os_name, users, paying_customers, net_revenue
    )
    select date_sk, channel_id, os_name, users, paying_customers, net_revenue
    from cell_sums
    order by date_sk, channel_id, os_name
    on conflict (date_sk, channel_id, os_name) do update
        set
            users = funnel_day.users + excluded.users,
            paying_customers = funnel_day.paying_customers + excluded.paying_customers,
            net_revenue = funnel_day.net_revenue + excluded.net_revenue
    returning funnel_day.date_sk
),

-- the moved users' customers' MRR (fact_mrr_channel_customer) changes channel with them
-- (channel 0: no first install): applied by fragments/channel_mrr_day_cells.sql
mrr_cell_changes as (
    select
        days.date,
        coalesce(moved_users.old_channel_id, 0) as channel_id,
        -days.mrr_change as mrr_change,
        -days.customers_change as customers_change
    from moved_users
    inner join fact_mrr_channel_customer as counted on counted.user_id = moved_users.user_id
    cross join lateral unnest(counted.dates, counted.mrr_changes, counted.customers_changes)
        as days (date, mrr_change, customers_change)
    where coalesce(moved_users.old_channel_id, 0) <> coalesce(moved_users.new_channel_id, 0)
    union all
    select
        days.date,
        coalesce(moved_users.new_channel_id, 0),
        days.mrr_change,
        days.customers_change
    from moved_users
    inner join fact_mrr_channel_customer as counted on counted.user_id = moved_users.user_id
    cross join lateral unnest(counted.dates, counted.mrr_changes, counted.customers_changes)
        as days (date, mrr_change, customers_change)
    where coalesce(moved_users.old_channel_id, 0) <> coalesce(moved_users.new_channel_id, 0)
),

-- include: fragments/channel_mrr_day_cells.sql

counted_users as (
    insert into fact_funnel_user as counted (user_id, date_sk, channel_id, os_name)
    select user_id, new_date_sk, new_channel_id, new_os_name
    from moved_users
    where new_date_sk is not null
    order by user_id
    on conflict (user_id) do update
        set
            date_sk = excluded.date_sk,
            channel_id = excluded.channel_id,
            os_name = excluded.os_name
    returning counted.user_id
),

uncounted_users as (
    delete from fact_funnel_user as counted
    where counted.user_id in (
        select moved_users.user_id from moved_users where moved_users.new_date_sk is null
    )
    returning counted.user_id
)

select
    (select count(*) from moved_users) as users_moved,
    (select count(*) from cells) as cells_changed,
    (select count(*) from mrr_cells) as mrr_cells_changed
