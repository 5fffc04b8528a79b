-- purpose: the end of the channel funnel's lock statements: the funnel's advisory lock
--   (exclusive for many users, else shared) taken first, then, when shared, the users' locks
--   in key order; answers how many of each were taken
-- grain: one row
-- params: exclusive (bool), funnel_lock_namespace, funnel_lock_key (int, int: the funnel's
--   lock), user_lock_namespace (int); reads the relation lock_keys (lock_key int: the users'
--   keys, distinct, in order, none when exclusive) that the including statement defines
--   before it in its WITH list
-- included by: funnel_users_lock.sql, funnel_customers_lock.sql
--   (warehouse/sql_files.py, `-- include:`)
funnel_lock as materialized (
    select
        case
            when %(exclusive)s
                then pg_advisory_xact_lock(%(funnel_lock_namespace)s, %(funnel_lock_key)s)
            else pg_advisory_xact_lock_shared(%(funnel_lock_namespace)s, %(funnel_lock_key)s)
        end as taken
)

select
    (select count(*) from funnel_lock) as funnel_locked,
    (
        select count(pg_advisory_xact_lock(%(user_lock_namespace)s, lock_keys.lock_key))
        from lock_keys
    ) as user_locks_taken
