-- purpose: take the per-customer advisory locks of a refresh of these customers, in key order
--   (the same keys as event_subjects_lock, so a webhook already holding them re-enters)
-- grain: one lock per customer
-- params: lock_namespace (int), customer_ids (text[])
with lock_keys as (
    select distinct hashtext(customer.customer_id) as lock_key
    from unnest(%(customer_ids)s::text[]) as customer (customer_id)
    order by lock_key
    offset 0
),

taken_locks as (
    select pg_advisory_xact_lock(%(lock_namespace)s, lock_keys.lock_key) as taken
    from lock_keys
)

select count(*) as locks_taken
from taken_locks
