-- purpose: before the channel funnel's users' delta (marts/fact_channel_funnel_users.sql): the
--   funnel's lock, shared, and these users' advisory locks, in key order (the same keys as
--   funnel_customers_lock.sql, which the payments change set takes for its customers' users),
--   so a user's cell and their customers' contributions are never moved by two transactions
--   at once; or, for many users (an import batch), the funnel's lock alone, exclusive: one
--   lock instead of thousands (PostgreSQL's shared lock table is small)
-- grain: one lock per user (or one for the funnel)
-- params: funnel_lock_namespace, funnel_lock_key (int, int: the funnel's lock),
--   user_lock_namespace (int), user_ids (text[]), exclusive (bool)
-- A separate statement from the delta that follows, so that the delta's snapshot is taken
-- after the locks are held and sees what the previous holder committed.
-- The funnel's lock is taken first (fragments/funnel_locks_take.sql).
with lock_keys as (
    select distinct hashtext(listed.user_id) as lock_key
    from unnest(%(user_ids)s::text[]) as listed (user_id)
    where not %(exclusive)s
    order by lock_key
    offset 0
),

-- include: fragments/funnel_locks_take.sql
