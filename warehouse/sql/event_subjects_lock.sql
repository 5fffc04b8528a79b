-- purpose: serialise the processing of webhook events about the same customer or charge: take a
--   transaction-scoped advisory lock on each subject of an event (its customer, its charge, and
--   the customer dj-stripe already holds for that charge), in one global order
-- grain: one lock per subject
-- params: lock_namespace (int), stripe_ids (text[]: customer and charge ids from the payload),
--   charge_ids (text[]: charges whose customer to look up locally)
-- Taken before dj-stripe syncs anything, so two events that would insert the same customer or
-- balance transaction run one after the other instead of deadlocking on each other's rows.
-- Locks are taken in order of their key, so events locking several subjects cannot deadlock
-- on the locks themselves; hash collisions only serialise a little more.
with event_subjects as (
    select subject.stripe_id
    from unnest(%(stripe_ids)s::text[]) as subject (stripe_id)
    union
    select charge.customer_id as stripe_id
    from djstripe_charge as charge
    where charge.id = any(%(charge_ids)s::text[]) and charge.customer_id is not null
),

lock_keys as (
    select distinct hashtext(event_subjects.stripe_id) as lock_key
    from event_subjects
    where event_subjects.stripe_id is not null
    order by lock_key
    offset 0
),

taken_locks as (
    select pg_advisory_xact_lock(%(lock_namespace)s, lock_keys.lock_key) as taken
    from lock_keys
)

select count(*) as locks_taken
from taken_locks
