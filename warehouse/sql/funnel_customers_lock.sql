-- purpose: before the channel funnel's deltas (marts/fact_channel_funnel_users.sql,
--   marts/fact_channel_funnel_customers.sql, marts/fact_channel_mrr_customers.sql): take the
--   per-user advisory locks of the users it may touch, in key order. Both write paths of the
--   funnel take them (the install path for its users, the payments change set for its
--   customers' users, old and new), so a user's cell and their customers' contributions are
--   never moved by two transactions at once.
-- grain: one lock per user
-- Many customers (more than marts.FUNNEL_USER_LOCKS_MAX): the funnel's lock alone, exclusive
-- (see funnel_users_lock.sql); otherwise the funnel's lock shared, then the users' locks.
-- params: funnel_lock_namespace, funnel_lock_key (int, int: the funnel's lock),
--   user_lock_namespace (int), exclusive (bool), customer_ids (text[]: their users as
--   fact_funnel_customer and fact_mrr_channel_customer store them and as dim_customer now says)
-- A separate statement from the delta that follows, so that the delta's snapshot is taken
-- after the locks are held and sees what the previous holder committed.
-- The funnel's lock is taken first (fragments/funnel_locks_take.sql).
with lock_keys as (
    select distinct hashtext(users.user_id) as lock_key
    from (
        select counted.user_id
        from fact_funnel_customer as counted
        where counted.customer_id = any(%(customer_ids)s::text[])
        union all
        select counted.user_id
        from fact_mrr_channel_customer as counted
        where counted.customer_id = any(%(customer_ids)s::text[]) and counted.user_id is not null
        union all
        select customer.user_id
        from dim_customer as customer
        where customer.stripe_id = any(%(customer_ids)s::text[]) and customer.user_id is not null
    ) as users
    where not %(exclusive)s
    order by lock_key
    offset 0
),

-- include: fragments/funnel_locks_take.sql
