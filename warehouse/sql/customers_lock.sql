-- purpose: before a delta refresh of some customers' marts: set the transaction's reporting
--   time zone (int_customer_months reads it), take the shared lock on the aggregates (a full
--   refresh takes it exclusively) and the per-customer advisory locks, in key order (the
--   same keys as event_subjects_lock, so a webhook already holding them re-enters)
-- grain: one lock per customer
-- params: reporting_time_zone (text), aggregates_lock (int, int), lock_namespace (int),
--   customer_ids (text[])
-- One statement, as it runs once per flush; the select list is evaluated left to right.
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

select
    set_config('stripe_dwh.reporting_time_zone', %(reporting_time_zone)s, true)
        as reporting_time_zone,
    pg_advisory_xact_lock_shared(%(aggregates_lock_namespace)s, %(aggregates_lock_key)s)
        as aggregates_locked,
    (select count(*) from taken_locks) as locks_taken
