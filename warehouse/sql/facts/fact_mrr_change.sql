-- purpose: recompute fact_mrr_change for some customers (or all) from fact_invoice_line and
--   the staged subscriptions: build each subscription item's MRR timeline from its lines,
--   apply the subscription's current state and the past-due grace rule, and keep the days on
--   which a subscription's MRR at one price changed; delete the customers' changes that no
--   longer hold
-- grain: one row per subscription × price × day (reporting time zone) with a change
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers),
--   time_zone, grace_days (integer: settings.MRR_PAST_DUE_GRACE_DAYS), subscriptions_changed
--   (bool: a subscription of these customers was saved in the transaction)
-- delta form: runs after fact_invoice_line.sql in the same transaction, and does nothing when
--   that wrote or deleted no line (stripe_dwh.mrr_changed_lines '0') and no subscription
--   changed: a customer's changes follow from their lines and subscriptions alone. A
--   subscription changed when it was saved in the transaction (subscriptions_changed) and its
--   state (status, ended_at, cancel_at, current items) differs from the one the customers'
--   changes were last computed from, which this statement keeps in int_subscription_state
--   (every refresh that recomputes writes the customers' subscriptions' state; an empty copy
--   is "changed", so the table starts empty)
-- answers: the months of the changes it wrote or deleted, also set for the transaction as
--   stripe_dwh.mrr_changed_change_months (comma-separated; fact_mrr_movement.sql reads whether
--   it is empty)
-- also keeps mart_mrr_price_day (changes per day × price) and mart_mrr_price_month (per month
--   × price): it adds the customers' changes as computed now minus their changes as stored
--   before this statement (every CTE reads one snapshot, so the stored rows are the previous
--   version); the cost follows the customers' own changes, not the day's or the month's. The
--   full form runs after mrr_day_clear.sql emptied both marts, and subtracts nothing. A delta
--   may leave a row at zero. (A subscription's changes are stored under its customer, which
--   Stripe never changes.)
-- A subscription's MRR on a day is its MRR at the day's last moment: a line [start, end)
-- counts on the days from start's day up to the day before end's day. Definitions:
-- docs/metrics.md.
with lines_changed as (
    select
        coalesce(current_setting('stripe_dwh.mrr_changed_lines', true), '') not in ('', '0')
            as changed
),

-- the state of the customers' subscriptions that this statement reads (status, end,
-- scheduled cancellation, current items), read when the refresh may be due
subscriptions_now as materialized (
    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.status,
        subscriptions.ended_at,
        subscriptions.cancel_at,
        subscriptions.current_item_ids
    from stg_stripe__subscriptions as subscriptions
    where
        (
            %(all_customers)s
            or %(subscriptions_changed)s
            or (select lines_changed.changed from lines_changed)
        )
        and (%(all_customers)s or subscriptions.customer_id = any(%(customer_ids)s::text[]))
),

-- the state that the customers' changes were last computed from
-- (int_subscription_state, written below whenever they are recomputed)
subscription_copies as materialized (
    select
        copy.subscription_id,
        copy.status,
        copy.ended_at,
        copy.cancel_at,
        copy.current_item_ids
    from int_subscription_state as copy
    where
        not %(all_customers)s
        and %(subscriptions_changed)s
        and copy.customer_id = any(%(customer_ids)s::text[])
),

-- a saved subscription moves MRR only if its state differs from the one the customers'
-- changes were computed from (a renewal's subscription.updated changes none of it)
refresh_due as (
    select
        %(all_customers)s
        or (select lines_changed.changed from lines_changed)
        or (
            %(subscriptions_changed)s
            and (
                exists (
                    select 1
                    from subscriptions_now
                    left join subscription_copies
                        on subscription_copies.subscription_id = subscriptions_now.subscription_id
                    where
                        subscription_copies.subscription_id is null
                        or (
                            subscriptions_now.status, subscriptions_now.ended_at,
                            subscriptions_now.cancel_at, subscriptions_now.current_item_ids
                        ) is distinct from (
                            subscription_copies.status, subscription_copies.ended_at,
                            subscription_copies.cancel_at, subscription_copies.current_item_ids
                        )
                )
                or exists (
                    select 1
                    from subscription_copies
                    where not exists (
                        select 1
                        from subscriptions_now
                        where subscriptions_now.subscription_id = subscription_copies.subscription_id
                    )
                )
            )
        ) as due
),

customer_lines as (
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
        and (select refresh_due.due from refresh_due)
),

subscription_states as (
    select
        subscriptions.subscription_id,
        subscriptions.status,
        subscriptions.ended_at,
        subscriptions.cancel_at,
        subscriptions.current_item_ids
    from stg_stripe__subscriptions as subscriptions
    -- the ids as an array: the filter reaches djstripe_subscription's key (a semi-join
    -- re-read the whole table per line)
    where subscriptions.subscription_id = any(array(
        select distinct customer_lines.subscription_id from customer_lines
    ))
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

price_steps as (
    select
        item_steps.customer_id,
        item_steps.subscription_id,
        item_steps.price_id,
        item_steps.day,
        sum(item_steps.mrr_change) as mrr_change
    from item_steps
    group by
        item_steps.customer_id, item_steps.subscription_id, item_steps.price_id, item_steps.day
),

subscription_prices as (
    select distinct price_steps.customer_id, price_steps.subscription_id, price_steps.price_id
    from price_steps
),

-- every day on which a subscription's MRR at a price, or its lapse state, changes
price_days as (
    select
        steps.customer_id,
        steps.subscription_id,
        steps.price_id,
        steps.day,
        sum(steps.mrr_change) as mrr_change,
        sum(steps.lapsed_change) as lapsed_change
    from (
        select
            price_steps.customer_id, price_steps.subscription_id, price_steps.price_id,
            price_steps.day, price_steps.mrr_change, 0 as lapsed_change
        from price_steps
        union all
        select
            subscription_prices.customer_id, subscription_prices.subscription_id,
            subscription_prices.price_id, grace_steps.day, 0 as mrr_change,
            grace_steps.lapsed_change
        from grace_steps
        inner join subscription_prices
            on subscription_prices.subscription_id = grace_steps.subscription_id
    ) as steps
    group by steps.customer_id, steps.subscription_id, steps.price_id, steps.day
),

price_history as (
    select
        price_days.customer_id,
        price_days.subscription_id,
        price_days.price_id,
        price_days.day,
        case
            when sum(price_days.lapsed_change) over subscription_price_history > 0 then 0
            else sum(price_days.mrr_change) over subscription_price_history
        end as effective_mrr
    from price_days
    window subscription_price_history as (
        partition by price_days.subscription_id, price_days.price_id order by price_days.day
    )
),

price_changes as (
    select
        price_history.customer_id,
        price_history.subscription_id,
        price_history.price_id,
        price_history.day,
        price_history.effective_mrr as mrr_after,
        price_history.effective_mrr - coalesce(
            lag(price_history.effective_mrr) over (
                partition by price_history.subscription_id, price_history.price_id
                order by price_history.day
            ),
            0
        ) as amount
    from price_history
),

current_changes as (
    select
        price_changes.customer_id,
        price_changes.subscription_id,
        price_changes.price_id,
        price_changes.day,
        date_trunc('month', price_changes.day)::date as month,
        price_changes.amount,
        price_changes.mrr_after
    from price_changes
    where price_changes.amount <> 0
),

upserted_changes as (
    insert into fact_mrr_change (
        customer_id, subscription_id, price_id, date, month, amount, mrr_after, updated_at
    )
    select
        current_changes.customer_id,
        current_changes.subscription_id,
        current_changes.price_id,
        current_changes.day,
        current_changes.month,
        current_changes.amount,
        current_changes.mrr_after,
        now() as updated_at
    from current_changes
    order by current_changes.subscription_id, current_changes.price_id, current_changes.day
    on conflict (subscription_id, price_id, date) do update set
        customer_id = excluded.customer_id,
        month = excluded.month,
        amount = excluded.amount,
        mrr_after = excluded.mrr_after,
        updated_at = excluded.updated_at
    where (fact_mrr_change.customer_id, fact_mrr_change.amount, fact_mrr_change.mrr_after)
        is distinct from (excluded.customer_id, excluded.amount, excluded.mrr_after)
    returning fact_mrr_change.month
),

deleted_changes as (
    delete from fact_mrr_change as stale
    where
        (%(all_customers)s or stale.customer_id = any(%(customer_ids)s::text[]))
        -- nothing recomputed: nothing is stale
        and (select refresh_due.due from refresh_due)
        and not exists (
            select 1
            from current_changes
            where
                current_changes.subscription_id = stale.subscription_id
                and current_changes.price_id = stale.price_id
                and current_changes.day = stale.date
        )
    returning stale.month
),

-- the state the changes are now computed from, for the next refresh's comparison
upserted_states as (
    insert into int_subscription_state as copy (
        subscription_id, customer_id, status, ended_at, cancel_at, current_item_ids
    )
    select
        subscriptions_now.subscription_id,
        subscriptions_now.customer_id,
        subscriptions_now.status,
        subscriptions_now.ended_at,
        subscriptions_now.cancel_at,
        subscriptions_now.current_item_ids
    from subscriptions_now
    where (select refresh_due.due from refresh_due)
    order by subscriptions_now.subscription_id
    on conflict (subscription_id) do update set
        customer_id = excluded.customer_id,
        status = excluded.status,
        ended_at = excluded.ended_at,
        cancel_at = excluded.cancel_at,
        current_item_ids = excluded.current_item_ids
    where (
        copy.customer_id, copy.status, copy.ended_at, copy.cancel_at, copy.current_item_ids
    ) is distinct from (
        excluded.customer_id, excluded.status, excluded.ended_at, excluded.cancel_at,
        excluded.current_item_ids
    )
    returning copy.subscription_id
),

deleted_states as (
    delete from int_subscription_state as stale
    where
        (%(all_customers)s or stale.customer_id = any(%(customer_ids)s::text[]))
        and (select refresh_due.due from refresh_due)
        and not exists (
            select 1
            from subscriptions_now
            where subscriptions_now.subscription_id = stale.subscription_id
        )
    returning stale.subscription_id
),

-- mart_mrr_price_day's delta: each change counts +1 as computed now and -1 as stored before
-- (the same customers' stored rows, under the same condition as deleted_changes; none in
-- the full form). A change moves a subscription into the price's count when its MRR at the
-- price goes from <= 0 to > 0 (mrr_after - amount is the MRR before), and out of it the
-- other way round.
change_versions as (
    select 1 as sign, current_changes.day, current_changes.price_id, current_changes.amount,
        current_changes.mrr_after
    from current_changes
    union all
    select -1 as sign, stored.date as day, stored.price_id, stored.amount, stored.mrr_after
    from fact_mrr_change as stored
    where
        not %(all_customers)s
        and stored.customer_id = any(%(customer_ids)s::text[])
        -- nothing recomputed: the stored rows stand, and nothing is subtracted
        and (select refresh_due.due from refresh_due)
),

price_day_deltas as (
    select
        change_versions.day,
        change_versions.price_id,
        sum(change_versions.sign * change_versions.amount) as mrr_change,
        coalesce(sum(change_versions.sign) filter (
            where change_versions.mrr_after > 0
                and change_versions.mrr_after - change_versions.amount <= 0
        ), 0) - coalesce(sum(change_versions.sign) filter (
            where change_versions.mrr_after <= 0
                and change_versions.mrr_after - change_versions.amount > 0
        ), 0) as subscriptions_change
    from change_versions
    group by change_versions.day, change_versions.price_id
),

upserted_price_days as (
    insert into mart_mrr_price_day as totals (date, price_id, mrr_change, subscriptions_change)
    select
        price_day_deltas.day,
        price_day_deltas.price_id,
        price_day_deltas.mrr_change,
        price_day_deltas.subscriptions_change
    from price_day_deltas
    where (price_day_deltas.mrr_change, price_day_deltas.subscriptions_change) <> (0, 0)
    -- in key order, so concurrent deltas lock shared days in one order
    order by price_day_deltas.day, price_day_deltas.price_id
    on conflict (date, price_id) do update set
        mrr_change = totals.mrr_change + excluded.mrr_change,
        subscriptions_change = totals.subscriptions_change + excluded.subscriptions_change
    returning totals.date
),

-- mart_mrr_price_month's delta: the day deltas summed by month
price_month_deltas as (
    select
        price_day_deltas.price_id,
        date_trunc('month', price_day_deltas.day)::date as month,
        sum(price_day_deltas.mrr_change) as mrr_change,
        sum(price_day_deltas.subscriptions_change) as subscriptions_change
    from price_day_deltas
    group by price_day_deltas.price_id, date_trunc('month', price_day_deltas.day)::date
),

upserted_price_months as (
    insert into mart_mrr_price_month as totals (price_id, month, mrr_change, subscriptions_change)
    select
        price_month_deltas.price_id,
        price_month_deltas.month,
        price_month_deltas.mrr_change,
        price_month_deltas.subscriptions_change
    from price_month_deltas
    where (price_month_deltas.mrr_change, price_month_deltas.subscriptions_change) <> (0, 0)
    -- in key order, so concurrent deltas lock shared months in one order
    order by price_month_deltas.month, price_month_deltas.price_id
    on conflict (price_id, month) do update set
        mrr_change = totals.mrr_change + excluded.mrr_change,
        subscriptions_change = totals.subscriptions_change + excluded.subscriptions_change
    returning totals.month
)

-- the months whose changes were written or deleted, for fact_mrr_movement's delta form
-- later in the transaction (a change's month follows from its key's date, so an updated
-- row's month is the same before and after)
select set_config(
    'stripe_dwh.mrr_changed_change_months',
    coalesce(string_agg(distinct to_char(changed.month, 'YYYY-MM-DD'), ','), ''),
    true
) as changed_months
from (
    select upserted_changes.month from upserted_changes
    union all
    select deleted_changes.month from deleted_changes
) as changed
