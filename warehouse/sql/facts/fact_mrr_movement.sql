-- purpose: recompute fact_mrr_movement for some customers (or all) from fact_mrr_change: net
--   each customer's changes per day into one movement, classify it, and delete the
--   customers' movements that no longer hold
-- grain: one row per customer per day (reporting time zone) on which their MRR changed
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers)
-- delta form: runs after fact_mrr_change.sql in the same transaction, and does nothing when
--   that wrote or deleted no change (stripe_dwh.mrr_changed_change_months empty): a
--   customer's movements follow from their changes alone
-- answers: the months of the movements it wrote or deleted, also set for the transaction as
--   stripe_dwh.mrr_changed_movement_months (comma-separated; mart_mrr_customer_month reads
--   whether it is empty), and their customers as stripe_dwh.mrr_moved_customer_ids (a text[]
--   literal; MRR by channel's delta in the same round trip reads it)
-- also keeps mart_mrr_day (movements per day × type) and mart_mrr_month_movement (per month
--   × type): it adds the customers' movements as computed now minus their movements as stored
--   before this statement (every CTE reads one snapshot, so the stored rows are the previous
--   version, as fact_customer_day.sql does for fact_day); the cost follows the customers' own
--   movements, not the day's or the month's. The full form runs after mrr_day_clear.sql
--   emptied both marts, and subtracts nothing. A delta may leave a row at zero.
-- Definitions: docs/metrics.md. The subscription and price named are those whose MRR changed
-- most that day (ties: the smaller ids).
with subscription_changes as (
    select
        change.customer_id,
        change.subscription_id,
        change.price_id,
        change.date as day,
        change.amount as mrr_change
    from fact_mrr_change as change
    where
        %(all_customers)s
        or (
            change.customer_id = any(%(customer_ids)s::text[])
            -- the delta form has work only if fact_mrr_change.sql changed rows
            and current_setting('stripe_dwh.mrr_changed_change_months', true) <> ''
        )
),

customer_changes as (
    select
        subscription_changes.customer_id,
        subscription_changes.day,
        sum(subscription_changes.mrr_change) as mrr_change,
        (array_agg(
            subscription_changes.subscription_id
            order by
                abs(subscription_changes.mrr_change) desc, subscription_changes.subscription_id,
                subscription_changes.price_id
        ))[1] as subscription_id,
        (array_agg(
            subscription_changes.price_id
            order by
                abs(subscription_changes.mrr_change) desc, subscription_changes.subscription_id,
                subscription_changes.price_id
        ))[1] as price_id
    from subscription_changes
    group by subscription_changes.customer_id, subscription_changes.day
    having sum(subscription_changes.mrr_change) <> 0
),

customer_movements as (
    select
        customer_changes.customer_id,
        customer_changes.day,
        customer_changes.subscription_id,
        customer_changes.price_id,
        customer_changes.mrr_change as amount,
        sum(customer_changes.mrr_change) over customer_history as mrr_after,
        sum(customer_changes.mrr_change) over customer_history - customer_changes.mrr_change
            as mrr_before,
        row_number() over customer_history as movement_number
    from customer_changes
    window customer_history as (
        partition by customer_changes.customer_id order by customer_changes.day
    )
),

classified_movements as (
    select
        customer_movements.customer_id,
        customer_movements.day,
        date_trunc('month', customer_movements.day)::date as month,
        case
            when customer_movements.mrr_before = 0 and customer_movements.movement_number = 1
                then 'new'
            when customer_movements.mrr_before = 0 then 'reactivation'
            when customer_movements.mrr_after = 0 then 'churn'
            when customer_movements.amount > 0 then 'expansion'
            else 'contraction'
        end as movement_type,
        customer_movements.mrr_before,
        customer_movements.mrr_after,
        customer_movements.amount,
        customer_movements.subscription_id,
        customer_movements.price_id
    from customer_movements
),

upserted_movements as (
    insert into fact_mrr_movement (
        customer_id, date, month, movement_type, mrr_before, mrr_after, amount,
        subscription_id, price_id, updated_at
    )
    select
        classified_movements.customer_id,
        classified_movements.day,
        classified_movements.month,
        classified_movements.movement_type,
        classified_movements.mrr_before,
        classified_movements.mrr_after,
        classified_movements.amount,
        classified_movements.subscription_id,
        classified_movements.price_id,
        now() as updated_at
    from classified_movements
    order by classified_movements.customer_id, classified_movements.day
    on conflict (customer_id, date) do update set
        month = excluded.month,
        movement_type = excluded.movement_type,
        mrr_before = excluded.mrr_before,
        mrr_after = excluded.mrr_after,
        amount = excluded.amount,
        subscription_id = excluded.subscription_id,
        price_id = excluded.price_id,
        updated_at = excluded.updated_at
    where (
        fact_mrr_movement.movement_type, fact_mrr_movement.mrr_before,
        fact_mrr_movement.mrr_after, fact_mrr_movement.amount,
        fact_mrr_movement.subscription_id, fact_mrr_movement.price_id
    ) is distinct from (
        excluded.movement_type, excluded.mrr_before, excluded.mrr_after, excluded.amount,
        excluded.subscription_id, excluded.price_id
    )
    returning fact_mrr_movement.month, fact_mrr_movement.customer_id
),

deleted_movements as (
    delete from fact_mrr_movement as stale
    where
        (
            %(all_customers)s
            or (
                stale.customer_id = any(%(customer_ids)s::text[])
                and current_setting('stripe_dwh.mrr_changed_change_months', true) <> ''
            )
        )
        and not exists (
            select 1
            from classified_movements
            where
                classified_movements.customer_id = stale.customer_id
                and classified_movements.day = stale.date
        )
    returning stale.month, stale.customer_id
),

-- mart_mrr_day's delta: each movement counts +1 as computed now and -1 as stored before
-- (the stored rows of the same customers, under the same condition as deleted_movements;
-- none in the full form). A customer is one of a day's month_first_customers when the day
-- is their first movement of that type in its month.
movement_versions as (
    select
        1 as sign,
        classified_movements.day,
        classified_movements.movement_type,
        classified_movements.amount,
        classified_movements.day = min(classified_movements.day) over (
            partition by
                classified_movements.customer_id, classified_movements.month,
                classified_movements.movement_type
        ) as month_first
    from classified_movements
    union all
    select
        -1 as sign,
        stored.date as day,
        stored.movement_type,
        stored.amount,
        stored.date = min(stored.date) over (
            partition by stored.customer_id, stored.month, stored.movement_type
        ) as month_first
    from fact_mrr_movement as stored
    where
        not %(all_customers)s
        and stored.customer_id = any(%(customer_ids)s::text[])
        and current_setting('stripe_dwh.mrr_changed_change_months', true) <> ''
),

day_deltas as (
    select
        movement_versions.day,
        movement_versions.movement_type,
        sum(movement_versions.sign * movement_versions.amount) as amount,
        sum(movement_versions.sign) as movements,
        sum(movement_versions.sign) filter (where movement_versions.month_first)
            as month_first_customers
    from movement_versions
    group by movement_versions.day, movement_versions.movement_type
),

upserted_days as (
    insert into mart_mrr_day as totals (
        date, movement_type, amount, movements, month_first_customers
    )
    select
        day_deltas.day,
        day_deltas.movement_type,
        day_deltas.amount,
        day_deltas.movements,
        coalesce(day_deltas.month_first_customers, 0)
    from day_deltas
    where
        (day_deltas.amount, day_deltas.movements, coalesce(day_deltas.month_first_customers, 0))
        <> (0, 0, 0)
    -- in key order, so concurrent deltas lock shared days in one order
    order by day_deltas.day, day_deltas.movement_type
    on conflict (date, movement_type) do update set
        amount = totals.amount + excluded.amount,
        movements = totals.movements + excluded.movements,
        month_first_customers = totals.month_first_customers + excluded.month_first_customers
    returning totals.date
),

-- mart_mrr_month_movement's delta: the day deltas summed by month (a month's customers are
-- its days' month_first_customers: each customer counts on their first movement of the type
-- in the month, so the sum is the month's distinct customers)
month_deltas as (
    select
        date_trunc('month', day_deltas.day)::date as month,
        day_deltas.movement_type,
        sum(day_deltas.amount) as amount,
        sum(day_deltas.movements) as movements,
        coalesce(sum(day_deltas.month_first_customers), 0) as customers
    from day_deltas
    group by date_trunc('month', day_deltas.day)::date, day_deltas.movement_type
),

upserted_months as (
    insert into mart_mrr_month_movement as totals (
        month, movement_type, amount, movements, customers
    )
    select
        month_deltas.month,
        month_deltas.movement_type,
        month_deltas.amount,
        month_deltas.movements,
        month_deltas.customers
    from month_deltas
    where (month_deltas.amount, month_deltas.movements, month_deltas.customers) <> (0, 0, 0)
    -- in key order, so concurrent deltas lock shared months in one order
    order by month_deltas.month, month_deltas.movement_type
    on conflict (month, movement_type) do update set
        amount = totals.amount + excluded.amount,
        movements = totals.movements + excluded.movements,
        customers = totals.customers + excluded.customers
    returning totals.month
)

-- the months whose movements were written or deleted, for mart_mrr_customer_month's delta
-- form later in the transaction (a movement's month follows from its key's date), and the
-- customers whose movements were written or deleted (an array literal), for MRR by channel's
-- delta in the same round trip (warehouse.services.subscriptions)
select
    set_config(
        'stripe_dwh.mrr_changed_movement_months',
        coalesce(string_agg(distinct to_char(changed.month, 'YYYY-MM-DD'), ','), ''),
        true
    ) as changed_months,
    set_config(
        'stripe_dwh.mrr_moved_customer_ids',
        coalesce(array_agg(distinct changed.customer_id), '{}')::text,
        true
    ) as moved_customer_ids
from (
    select upserted_movements.month, upserted_movements.customer_id from upserted_movements
    union all
    select deleted_movements.month, deleted_movements.customer_id from deleted_movements
) as changed
