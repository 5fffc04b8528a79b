-- purpose: before a delta refresh of some customers' MRR facts and marts: the transaction's
--   planner settings (no JIT: the staging views' JSON expansion is estimated at 100 lines per
--   invoice and would be compiled; no parallel workers: a few customers' rows by index, and
--   a generic plan went parallel on a bloated table), the shared MRR lock (the full refresh
--   takes it exclusively) and one exclusive lock per customer, in key order
-- grain: one row
-- params: mrr_lock_namespace (int), mrr_lock_key (int), customer_ids (text[])
-- One statement, as it runs once per refresh; the select list is evaluated left to right.
with lock_keys as (
    select distinct hashtext(customer.customer_id) as lock_key
    from unnest(%(customer_ids)s::text[]) as customer (customer_id)
    order by lock_key
    offset 0
),

taken_locks as (
    select pg_advisory_xact_lock(lock_keys.lock_key) as taken
    from lock_keys
)

select
    set_config('jit', 'off', true) as jit,
    set_config('max_parallel_workers_per_gather', '0', true) as max_parallel_workers_per_gather,
    pg_advisory_xact_lock_shared(%(mrr_lock_namespace)s, %(mrr_lock_key)s) as mrr_locked,
    (select count(*) from taken_locks) as locks_taken
