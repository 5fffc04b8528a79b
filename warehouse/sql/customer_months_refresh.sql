-- purpose: recompute fact_customer_month for some customers (or all) from fact_transaction,
--   and carry the change into the report aggregates fact_month, fact_cohort_month and
--   fact_customer_lifetime, in one statement
-- grain: fact_customer_month: one row per customer per calendar month (reporting time zone)
--   with any movement; fact_month: one row per month; fact_cohort_month: one row per cohort
--   month per activity month; fact_follow_month: one row per paying month per later month;
--   fact_customer_lifetime: one row per customer
-- params: time_zone, all_customers (bool), customer_ids (text[]; ignored when all_customers),
--   subtract_previous (bool; false right after the aggregates were emptied for a full
--   recompute, true for delta maintenance)
-- Every part of a statement reads one snapshot, so previous_customer_months holds these
-- customers' rows as they were before this statement. The shared aggregates receive each
-- customer's current contribution minus the previous one as `x = x + delta`: the row lock of
-- the update makes concurrent refreshes of other customers add up instead of overwriting
-- each other, and rows are written in key order so that they lock shared rows in one order.
-- Deltas that change nothing are not written, so a row may be left all zero (= no activity).
with customer_movements as (
    select
        txn.customer_id,
        date_trunc('month', txn.occurred_at at time zone %(time_zone)s)::date as month,
        txn.transaction_type,
        txn.status,
        -- the balance transaction's settlement amount; the charged amount until it is known
        coalesce(txn.settlement_amount, txn.amount) as settled_amount,
        coalesce(txn.fee, 0) as fee
    from fact_transaction as txn
    where
        txn.customer_id is not null
        and (%(all_customers)s or txn.customer_id = any(%(customer_ids)s::text[]))
),

customer_month_totals as (
    select
        customer_id,
        month,
        coalesce(sum(settled_amount) filter (
            where transaction_type = 'charge' and status = 'succeeded'
        ), 0) as gross,
        coalesce(sum(settled_amount) filter (where transaction_type = 'refund'), 0) as refunds,
        coalesce(sum(settled_amount) filter (
            where transaction_type in ('dispute_withdrawal', 'dispute_reinstatement')
        ), 0) as disputes,
        coalesce(sum(fee) filter (
            where transaction_type <> 'charge' or status = 'succeeded'
        ), 0) as fees,
        count(*) filter (where transaction_type = 'charge' and status = 'succeeded') as charge_count,
        count(*) filter (where transaction_type = 'charge' and status = 'failed') as failed_charge_count
    from customer_movements
    group by customer_id, month
),

customer_cohorts as (
    select
        customer_id,
        min(month) filter (where charge_count > 0) as first_payment_month
    from customer_month_totals
    group by customer_id
),

current_customer_months as (
    select
        totals.customer_id,
        totals.month,
        cohorts.first_payment_month,
        totals.gross,
        totals.refunds,
        totals.disputes,
        totals.gross + totals.refunds + totals.disputes as net,
        totals.fees,
        totals.charge_count,
        totals.failed_charge_count,
        sum(totals.gross + totals.refunds + totals.disputes) over customer_history as net_to_date,
        count(*) filter (where totals.charge_count > 0) over customer_history as active_months_to_date,
        max(totals.month) filter (where totals.charge_count > 0) over customer_history
        as last_payment_month_to_date,
        lead(totals.month) over customer_history as next_month
    from customer_month_totals as totals
    inner join customer_cohorts as cohorts on cohorts.customer_id = totals.customer_id
    window customer_history as (partition by totals.customer_id order by totals.month)
),

previous_customer_months as (
    select
        customer_month.customer_id,
        customer_month.month,
        customer_month.first_payment_month,
        customer_month.gross,
        customer_month.refunds,
        customer_month.disputes,
        customer_month.net,
        customer_month.fees,
        customer_month.charge_count,
        customer_month.failed_charge_count
    from fact_customer_month as customer_month
    where
        %(subtract_previous)s
        and (%(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[]))
),

upserted_customer_months as (
    insert into fact_customer_month (
        customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count, net_to_date, active_months_to_date,
        last_payment_month_to_date, next_month, updated_at
    )
    select
        customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count, net_to_date, active_months_to_date,
        last_payment_month_to_date, next_month, now() as updated_at
    from current_customer_months
    on conflict (customer_id, month) do update set
        first_payment_month = excluded.first_payment_month,
        gross = excluded.gross,
        refunds = excluded.refunds,
        disputes = excluded.disputes,
        net = excluded.net,
        fees = excluded.fees,
        charge_count = excluded.charge_count,
        failed_charge_count = excluded.failed_charge_count,
        net_to_date = excluded.net_to_date,
        active_months_to_date = excluded.active_months_to_date,
        last_payment_month_to_date = excluded.last_payment_month_to_date,
        next_month = excluded.next_month,
        updated_at = excluded.updated_at
    where (
        fact_customer_month.first_payment_month, fact_customer_month.gross,
        fact_customer_month.refunds, fact_customer_month.disputes, fact_customer_month.fees,
        fact_customer_month.charge_count, fact_customer_month.failed_charge_count,
        fact_customer_month.net_to_date, fact_customer_month.active_months_to_date,
        fact_customer_month.last_payment_month_to_date, fact_customer_month.next_month
    ) is distinct from (
        excluded.first_payment_month, excluded.gross, excluded.refunds, excluded.disputes,
        excluded.fees, excluded.charge_count, excluded.failed_charge_count,
        excluded.net_to_date, excluded.active_months_to_date,
        excluded.last_payment_month_to_date, excluded.next_month
    )
    returning customer_id
),

-- customer-months left without any movement
pruned_customer_months as (
    delete from fact_customer_month as customer_month
    where
        (%(all_customers)s or customer_month.customer_id = any(%(customer_ids)s::text[]))
        and not exists (
            select 1
            from current_customer_months as kept
            where kept.customer_id = customer_month.customer_id and kept.month = customer_month.month
        )
    returning customer_id
),

-- both versions of these customers' months: +1 = as recomputed now, -1 = as stored before
customer_month_versions as (
    select
        1 as sign, customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count
    from current_customer_months
    union all
    select
        -1 as sign, customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
        charge_count, failed_charge_count
    from previous_customer_months
),

customer_month_states as (
    select
        sign,
        customer_id,
        month,
        first_payment_month,
        gross,
        refunds,
        disputes,
        net,
        fees,
        charge_count,
        failed_charge_count,
        charge_count > 0 as is_paying,
        coalesce(
            lag(month) over customer_history = (month - interval '1 month')::date
            and lag(charge_count) over customer_history > 0,
            false
        ) as paid_previous_month,
        coalesce(
            lead(month) over customer_history = (month + interval '1 month')::date
            and lead(charge_count) over customer_history > 0,
            false
        ) as pays_next_month
    from customer_month_versions
    window customer_history as (partition by sign, customer_id order by month)
),

-- what each customer-month adds to the months: its own month, and a churned customer to
-- the month after a paying month not followed by another paying month
month_contributions as (
    select
        sign,
        month,
        is_paying::integer as paying_customers,
        (is_paying and first_payment_month = month)::integer as new_customers,
        (is_paying and paid_previous_month)::integer as retained_customers,
        (is_paying and first_payment_month < month and not paid_previous_month)::integer
        as returning_customers,
        0 as churned_customers,
        gross,
        refunds,
        disputes,
        net,
        fees,
        charge_count,
        failed_charge_count
    from customer_month_states
    union all
    select
        sign,
        (month + interval '1 month')::date as month,
        0 as paying_customers,
        0 as new_customers,
        0 as retained_customers,
        0 as returning_customers,
        1 as churned_customers,
        0 as gross,
        0 as refunds,
        0 as disputes,
        0 as net,
        0 as fees,
        0 as charge_count,
        0 as failed_charge_count
    from customer_month_states
    where is_paying and not pays_next_month
),

month_deltas as (
    select
        month,
        sum(sign * paying_customers) as paying_customers,
        sum(sign * new_customers) as new_customers,
        sum(sign * retained_customers) as retained_customers,
        sum(sign * returning_customers) as returning_customers,
        sum(sign * churned_customers) as churned_customers,
        sum(sign * gross) as gross,
        sum(sign * refunds) as refunds,
        sum(sign * disputes) as disputes,
        sum(sign * net) as net,
        sum(sign * fees) as fees,
        sum(sign * charge_count) as charge_count,
        sum(sign * failed_charge_count) as failed_charge_count
    from month_contributions
    group by month
),

month_changes as (
    insert into fact_month (
        month, paying_customers, new_customers, retained_customers, returning_customers,
        churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
    )
    select
        month, paying_customers, new_customers, retained_customers, returning_customers,
        churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
    from month_deltas
    where (
        paying_customers, new_customers, retained_customers, returning_customers,
        churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
    ) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    order by month
    on conflict (month) do update set
        paying_customers = fact_month.paying_customers + excluded.paying_customers,
        new_customers = fact_month.new_customers + excluded.new_customers,
        retained_customers = fact_month.retained_customers + excluded.retained_customers,
        returning_customers = fact_month.returning_customers + excluded.returning_customers,
        churned_customers = fact_month.churned_customers + excluded.churned_customers,
        gross = fact_month.gross + excluded.gross,
        refunds = fact_month.refunds + excluded.refunds,
        disputes = fact_month.disputes + excluded.disputes,
        net = fact_month.net + excluded.net,
        fees = fact_month.fees + excluded.fees,
        charge_count = fact_month.charge_count + excluded.charge_count,
        failed_charge_count = fact_month.failed_charge_count + excluded.failed_charge_count
    returning month
),

cohort_month_deltas as (
    select
        first_payment_month as cohort_month,
        month,
        sum(sign * is_paying::integer) as paying_customers,
        sum(sign * net) as net
    from customer_month_states
    where first_payment_month is not null
    group by first_payment_month, month
),

cohort_month_changes as (
    insert into fact_cohort_month (cohort_month, month, paying_customers, net)
    select cohort_month, month, paying_customers, net
    from cohort_month_deltas
    where (paying_customers, net) <> (0, 0)
    order by cohort_month, month
    on conflict (cohort_month, month) do update set
        paying_customers = fact_cohort_month.paying_customers + excluded.paying_customers,
        net = fact_cohort_month.net + excluded.net
    returning month
),

-- each paying month of a customer, with that customer's months from then on
follow_month_deltas as (
    select
        paid.month as paid_month,
        later.month,
        sum(later.sign * later.is_paying::integer) as paying_customers,
        sum(later.sign * later.net) as net
    from customer_month_states as paid
    inner join customer_month_states as later
        on later.sign = paid.sign and later.customer_id = paid.customer_id and later.month >= paid.month
    where paid.is_paying
    group by paid.month, later.month
),

follow_month_changes as (
    insert into fact_follow_month (paid_month, month, paying_customers, net)
    select paid_month, month, paying_customers, net
    from follow_month_deltas
    where (paying_customers, net) <> (0, 0)
    order by paid_month, month
    on conflict (paid_month, month) do update set
        paying_customers = fact_follow_month.paying_customers + excluded.paying_customers,
        net = fact_follow_month.net + excluded.net
    returning month
),

customer_lifetimes as (
    select
        customer_id,
        min(month) filter (where charge_count > 0) as first_payment_month,
        max(month) filter (where charge_count > 0) as last_payment_month,
        max(month) as last_activity_month,
        count(*) filter (where charge_count > 0) as active_months,
        sum(net) as total_net
    from current_customer_months
    group by customer_id
),

lifetime_changes as (
    insert into fact_customer_lifetime (
        customer_id, first_payment_month, last_payment_month, last_activity_month,
        active_months, total_net
    )
    select
        customer_id, first_payment_month, last_payment_month, last_activity_month,
        active_months, total_net
    from customer_lifetimes
    order by customer_id
    on conflict (customer_id) do update set
        first_payment_month = excluded.first_payment_month,
        last_payment_month = excluded.last_payment_month,
        last_activity_month = excluded.last_activity_month,
        active_months = excluded.active_months,
        total_net = excluded.total_net
    where (
        fact_customer_lifetime.first_payment_month, fact_customer_lifetime.last_payment_month,
        fact_customer_lifetime.last_activity_month, fact_customer_lifetime.active_months,
        fact_customer_lifetime.total_net
    ) is distinct from (
        excluded.first_payment_month, excluded.last_payment_month, excluded.last_activity_month,
        excluded.active_months, excluded.total_net
    )
    returning customer_id
),

-- customers left without any movement
lifetime_removals as (
    delete from fact_customer_lifetime as lifetime
    where
        (%(all_customers)s or lifetime.customer_id = any(%(customer_ids)s::text[]))
        and not exists (
            select 1 from customer_lifetimes where customer_lifetimes.customer_id = lifetime.customer_id
        )
    returning customer_id
)

select
    (select count(*) from upserted_customer_months) as customer_months_upserted,
    (select count(*) from pruned_customer_months) as customer_months_pruned,
    (select count(*) from month_changes) as months_changed,
    (select count(*) from cohort_month_changes) as cohort_months_changed,
    (select count(*) from follow_month_changes) as follow_months_changed,
    (select count(*) from lifetime_changes) + (select count(*) from lifetime_removals)
    as lifetimes_changed
