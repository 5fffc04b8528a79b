-- purpose: recompute fact_mrr_movement for some customers (or all) from fact_invoice_line and
--   the staged subscriptions: build each subscription item's MRR timeline from its lines,
--   apply the subscription's current state and the past-due grace rule, net the changes per
--   customer per day and classify them; delete the customers' movements that no longer hold
-- grain: one row per customer per day (reporting time zone) on which their MRR changed
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers),
--   time_zone, grace_days (integer: settings.MRR_PAST_DUE_GRACE_DAYS)
-- A customer's MRR on a day is their MRR at the day's last moment: a line [start, end)
-- counts on the days from start's day up to the day before end's day. Definitions:
-- docs/metrics.md.
with customer_lines as (
    select
        line.line_id,
        line.customer_id,
        line.subscription_id,
        line.subscription_item_id,
        line.price_id,
        line.period_start,
        line.period_end,
        line.is_credit,
        line.invoice_status,
        line.invoice_created,
        line.invoice_paid_at,
        line.mrr_numerator,
        line.mrr_denominator,
        -- a line without a known exchange rate counts 0 (docs/metrics.md)
        coalesce(line.mrr, 0) as mrr
    from fact_invoice_line as line
    where
        line.is_recurring
        and (%(all_customers)s or line.customer_id = any(%(customer_ids)s::text[]))
),

subscription_states as (
    select
        subscriptions.subscription_id,
        subscriptions.status,
        subscriptions.ended_at,
        subscriptions.cancel_at,
        subscriptions.current_item_ids
    from stg_stripe__subscriptions as subscriptions
    where subscriptions.subscription_id in (
        select customer_lines.subscription_id from customer_lines
    )
),

-- lines of subscriptions that ever started (incomplete ones never did), before the end
live_lines as (
    select
        customer_lines.*,
        subscription_states.status,
        subscription_states.ended_at,
        subscription_states.cancel_at,
        customer_lines.subscription_item_id = any(subscription_states.current_item_ids)
            as is_current_item
    from customer_lines
    left join subscription_states
        on subscription_states.subscription_id = customer_lines.subscription_id
    where
        coalesce(subscription_states.status, '') not in ('incomplete', 'incomplete_expired')
        and (
            subscription_states.ended_at is null
            or customer_lines.period_start < subscription_states.ended_at
        )
),

-- each item's lines in timeline order: at the same start a credit proration comes before the
-- line that replaces it, then later invoices; the next line cuts the previous one short
ordered_lines as (
    select
        live_lines.*,
        lead(live_lines.period_start) over item_timeline as next_start,
        row_number() over item_timeline = count(*) over (
            partition by live_lines.subscription_item_id
        ) as is_last,
        -- exact comparison of the line's MRR (invoice currency) with the previous line's
        coalesce(
            live_lines.mrr_numerator * lag(live_lines.mrr_denominator) over item_timeline
            <> lag(live_lines.mrr_numerator) over item_timeline * live_lines.mrr_denominator,
            true
        ) as rate_changes
    from live_lines
    window item_timeline as (
        partition by live_lines.subscription_item_id
        order by
            live_lines.period_start, live_lines.is_credit desc, live_lines.invoice_created,
            live_lines.line_id
    )
),

-- a run of lines with the same MRR keeps the settlement value of its first line, so that an
-- exchange rate alone never moves MRR
rate_runs as (
    select
        ordered_lines.*,
        sum(ordered_lines.rate_changes::integer) over item_timeline as run_number
    from ordered_lines
    window item_timeline as (
        partition by ordered_lines.subscription_item_id
        order by
            ordered_lines.period_start, ordered_lines.is_credit desc,
            ordered_lines.invoice_created, ordered_lines.line_id
    )
),

item_segments as (
    select
        rate_runs.customer_id,
        rate_runs.subscription_id,
        rate_runs.subscription_item_id,
        rate_runs.price_id,
        rate_runs.period_start as starts_at,
        least(
            coalesce(rate_runs.next_start, 'infinity'::timestamptz),
            -- the item's last line: the subscription's current state decides how long it runs
            case
                when not rate_runs.is_last or not rate_runs.is_current_item
                    then rate_runs.period_end
                when rate_runs.status in ('active', 'trialing', 'past_due', 'unpaid')
                    then coalesce(rate_runs.cancel_at, 'infinity'::timestamptz)
                when rate_runs.status = 'canceled'
                    then greatest(rate_runs.period_end, rate_runs.ended_at)
                else rate_runs.period_end
            end,
            coalesce(rate_runs.ended_at, 'infinity'::timestamptz)
        ) as ends_at,
        first_value(rate_runs.mrr) over (
            partition by rate_runs.subscription_item_id, rate_runs.run_number
            order by
                rate_runs.period_start, rate_runs.is_credit desc, rate_runs.invoice_created,
                rate_runs.line_id
        ) as mrr
    from rate_runs
),

item_steps as (
    select
        item_segments.customer_id,
        item_segments.subscription_id,
        item_segments.price_id,
        (item_segments.starts_at at time zone %(time_zone)s)::date as day,
        item_segments.mrr as mrr_change
    from item_segments
    where item_segments.starts_at < item_segments.ends_at and item_segments.mrr <> 0
    union all
    select
        item_segments.customer_id,
        item_segments.subscription_id,
        item_segments.price_id,
        (item_segments.ends_at at time zone %(time_zone)s)::date as day,
        -item_segments.mrr as mrr_change
    from item_segments
    where
        item_segments.starts_at < item_segments.ends_at
        and item_segments.mrr <> 0
        and item_segments.ends_at < 'infinity'::timestamptz
),

-- past due beyond the grace period: from the unpaid period's start + grace until the invoice
-- is paid, the subscription counts 0
grace_windows as (
    select
        live_lines.customer_id,
        live_lines.subscription_id,
        live_lines.period_start + make_interval(days => %(grace_days)s) as starts_at,
        coalesce(live_lines.invoice_paid_at, 'infinity'::timestamptz) as ends_at
    from live_lines
    where
        not live_lines.is_credit
        and live_lines.mrr_numerator > 0
        and (
            live_lines.invoice_status <> 'paid'
            or live_lines.invoice_paid_at
            > live_lines.period_start + make_interval(days => %(grace_days)s)
        )
),

grace_steps as (
    select
        grace_windows.customer_id,
        grace_windows.subscription_id,
        (grace_windows.starts_at at time zone %(time_zone)s)::date as day,
        1 as lapsed_change
    from grace_windows
    where grace_windows.starts_at < grace_windows.ends_at
    union all
    select
        grace_windows.customer_id,
        grace_windows.subscription_id,
        (grace_windows.ends_at at time zone %(time_zone)s)::date as day,
        -1 as lapsed_change
    from grace_windows
    where
        grace_windows.starts_at < grace_windows.ends_at
        and grace_windows.ends_at < 'infinity'::timestamptz
),

subscription_steps as (
    select
        steps.customer_id,
        steps.subscription_id,
        steps.day,
        sum(steps.mrr_change) as mrr_change,
        sum(steps.lapsed_change) as lapsed_change,
        -- the price whose MRR changed most that day (none on grace-only days)
        (array_agg(steps.price_id order by abs(steps.mrr_change) desc, steps.price_id)
            filter (where steps.mrr_change <> 0))[1] as price_id
    from (
        select
            item_steps.customer_id, item_steps.subscription_id, item_steps.day,
            item_steps.mrr_change, 0 as lapsed_change, item_steps.price_id
        from item_steps
        union all
        select
            grace_steps.customer_id, grace_steps.subscription_id, grace_steps.day,
            0 as mrr_change, grace_steps.lapsed_change, null as price_id
        from grace_steps
    ) as steps
    group by steps.customer_id, steps.subscription_id, steps.day
),

subscription_days as (
    select
        subscription_steps.*,
        case
            when sum(subscription_steps.lapsed_change) over subscription_history > 0 then 0
            else sum(subscription_steps.mrr_change) over subscription_history
        end as effective_mrr,
        -- the latest price named up to this day, for grace-only days
        (array_agg(subscription_steps.price_id) filter (
            where subscription_steps.price_id is not null
        ) over subscription_history) as prices_so_far
    from subscription_steps
    window subscription_history as (
        partition by subscription_steps.subscription_id order by subscription_steps.day
    )
),

subscription_changes as (
    select
        subscription_days.customer_id,
        subscription_days.subscription_id,
        subscription_days.day,
        subscription_days.effective_mrr - coalesce(
            lag(subscription_days.effective_mrr) over (
                partition by subscription_days.subscription_id order by subscription_days.day
            ),
            0
        ) as mrr_change,
        coalesce(
            subscription_days.price_id,
            subscription_days.prices_so_far[cardinality(subscription_days.prices_so_far)],
            ''
        ) as price_id
    from subscription_days
),

customer_changes as (
    select
        subscription_changes.customer_id,
        subscription_changes.day,
        sum(subscription_changes.mrr_change) as mrr_change,
        (array_agg(
            subscription_changes.subscription_id
            order by abs(subscription_changes.mrr_change) desc, subscription_changes.subscription_id
        ))[1] as subscription_id,
        (array_agg(
            subscription_changes.price_id
            order by abs(subscription_changes.mrr_change) desc, subscription_changes.subscription_id
        ))[1] as price_id
    from subscription_changes
    where subscription_changes.mrr_change <> 0
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
    returning fact_mrr_movement.customer_id
)

delete from fact_mrr_movement as stale
where
    (%(all_customers)s or stale.customer_id = any(%(customer_ids)s::text[]))
    and not exists (
        select 1
        from classified_movements
        where
            classified_movements.customer_id = stale.customer_id
            and classified_movements.day = stale.date
    )
