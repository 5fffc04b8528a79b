-- purpose: keep fact_customer_day (each customer's movements per day) equal to fact_transaction
--   for some customers (or all), and fact_day (the whole business per day) in step with it
-- grain: fact_customer_day one row per customer per calendar day (reporting time zone) with
--   any movement; fact_day one row per calendar day
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool)
-- forms: delta = some customers (all_customers false): recompute their days, add to fact_day
--   their new days minus their stored ones, upsert the changed days, delete the days left
--   without movement; full = everyone (all_customers true), after report_aggregates_clear
--   emptied fact_day: fact_day is filled from every customer's current days, and
--   fact_customer_day upserted to them (unchanged rows are not rewritten) and pruned
-- Every CTE reads the tables as they were before this statement (one snapshot), so the stored
-- days are the previous version; the customers' advisory locks keep two refreshes of one
-- customer apart, and the row locks of fact_day's upsert make concurrent deltas of other
-- customers add up. Sums follow reports/sql/month_movements.sql's definitions: known
-- customers' movements, settled amounts (the charged amount until the settlement is known),
-- refunds of any status, dispute funds and counts in the day of their balance transaction.
with customer_movements as (
    select
        txn.customer_id,
        (
            txn.occurred_at at time zone current_setting('stripe_dwh.reporting_time_zone')
        )::date as day,
        txn.transaction_type,
        txn.status,
        coalesce(txn.settlement_amount, txn.amount) as settled_amount,
        coalesce(txn.fee, 0) as fee
    from fact_transaction as txn
    where txn.customer_id is not null
        and (%(all_customers)s or txn.customer_id = any(%(customer_ids)s::text[]))
),

customer_day_totals as (
    select
        customer_id,
        day,
        coalesce(sum(settled_amount) filter (
            where transaction_type = 'charge' and status = 'succeeded'
        ), 0) as gross,
        count(*) filter (where transaction_type = 'charge' and status = 'succeeded') as charge_count,
        coalesce(sum(fee) filter (
            where transaction_type = 'charge' and status = 'succeeded'
        ), 0) as charge_fees,
        count(*) filter (where transaction_type = 'charge' and status = 'failed') as failed_charge_count,
        count(*) filter (where transaction_type = 'refund') as refund_count,
        coalesce(-sum(settled_amount) filter (where transaction_type = 'refund'), 0) as refunded,
        coalesce(sum(fee) filter (where transaction_type = 'refund'), 0) as refund_fees,
        -- (stripe_id, transaction_type) is unique: one withdrawal row per dispute
        count(*) filter (where transaction_type = 'dispute_withdrawal') as disputes_opened,
        count(*) filter (
            where transaction_type = 'dispute_withdrawal' and status = 'won'
        ) as disputes_won,
        count(*) filter (
            where transaction_type = 'dispute_withdrawal' and status = 'lost'
        ) as disputes_lost,
        coalesce(-sum(settled_amount) filter (
            where transaction_type = 'dispute_withdrawal'
        ), 0) as dispute_funds_withdrawn,
        coalesce(sum(settled_amount) filter (
            where transaction_type = 'dispute_reinstatement'
        ), 0) as dispute_funds_reinstated,
        coalesce(sum(fee) filter (
            where transaction_type in ('dispute_withdrawal', 'dispute_reinstatement')
        ), 0) as dispute_fees
    from customer_movements
    group by customer_id, day
),

current_customer_days as (
    select
        customer_id, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
        refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
        dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
        coalesce(
            day = min(day) filter (where charge_count > 0) over customer_month, false
        ) as first_payment_of_month,
        coalesce(day = min(day) filter (where charge_count > 0) over customer_history, false)
            as first_payment
    from customer_day_totals
    window
        customer_month as (partition by customer_id, date_trunc('month', day)),
        customer_history as (partition by customer_id)
),

-- the changed customers' days as stored before this statement (none in the full form: it
-- refills the emptied fact_day from everyone's current days)
previous_customer_days as (
    select
        stored.customer_id, stored.day, stored.gross, stored.charge_count, stored.charge_fees,
        stored.failed_charge_count, stored.refund_count, stored.refunded, stored.refund_fees,
        stored.disputes_opened, stored.disputes_won, stored.disputes_lost,
        stored.dispute_funds_withdrawn, stored.dispute_funds_reinstated, stored.dispute_fees,
        stored.first_payment_of_month, stored.first_payment
    from fact_customer_day as stored
    where not %(all_customers)s and stored.customer_id = any(%(customer_ids)s::text[])
),

customer_day_versions as (
    select
        1 as sign, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
        refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
        dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
        first_payment_of_month, first_payment
    from current_customer_days
    union all
    select
        -1 as sign, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
        refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
        dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
        first_payment_of_month, first_payment
    from previous_customer_days
),

day_deltas as (
    select
        day,
        sum(sign * gross) as gross,
        sum(sign * charge_count) as charge_count,
        sum(sign * charge_fees) as charge_fees,
        sum(sign * failed_charge_count) as failed_charge_count,
        sum(sign * refund_count) as refund_count,
        sum(sign * refunded) as refunded,
        sum(sign * refund_fees) as refund_fees,
        sum(sign * disputes_opened) as disputes_opened,
        sum(sign * disputes_won) as disputes_won,
        sum(sign * disputes_lost) as disputes_lost,
        sum(sign * dispute_funds_withdrawn) as dispute_funds_withdrawn,
        sum(sign * dispute_funds_reinstated) as dispute_funds_reinstated,
        sum(sign * dispute_fees) as dispute_fees,
        sum(sign * first_payment_of_month::integer) as paying_customers,
        sum(sign * first_payment::integer) as new_customers
    from customer_day_versions
    group by day
),

day_totals as (
    insert into fact_day as totals (
        day, gross, charge_count, charge_fees, failed_charge_count, refund_count, refunded,
        refund_fees, disputes_opened, disputes_won, disputes_lost, dispute_funds_withdrawn,
        dispute_funds_reinstated, dispute_fees, paying_customers, new_customers
    )
    select
        day, gross, charge_count, charge_fees, failed_charge_count, refund_count, refunded,
        refund_fees, disputes_opened, disputes_won, disputes_lost, dispute_funds_withdrawn,
        dispute_funds_reinstated, dispute_fees, paying_customers, new_customers
    from day_deltas
    where (
        gross, charge_count, charge_fees, failed_charge_count, refund_count, refunded,
        refund_fees, disputes_opened, disputes_won, disputes_lost, dispute_funds_withdrawn,
        dispute_funds_reinstated, dispute_fees, paying_customers, new_customers
    ) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    -- in key order, so concurrent deltas lock shared days in one order
    order by day
    on conflict (day) do update set
        gross = totals.gross + excluded.gross,
        charge_count = totals.charge_count + excluded.charge_count,
        charge_fees = totals.charge_fees + excluded.charge_fees,
        failed_charge_count = totals.failed_charge_count + excluded.failed_charge_count,
        refund_count = totals.refund_count + excluded.refund_count,
        refunded = totals.refunded + excluded.refunded,
        refund_fees = totals.refund_fees + excluded.refund_fees,
        disputes_opened = totals.disputes_opened + excluded.disputes_opened,
        disputes_won = totals.disputes_won + excluded.disputes_won,
        disputes_lost = totals.disputes_lost + excluded.disputes_lost,
        dispute_funds_withdrawn = totals.dispute_funds_withdrawn + excluded.dispute_funds_withdrawn,
        dispute_funds_reinstated = totals.dispute_funds_reinstated + excluded.dispute_funds_reinstated,
        dispute_fees = totals.dispute_fees + excluded.dispute_fees,
        paying_customers = totals.paying_customers + excluded.paying_customers,
        new_customers = totals.new_customers + excluded.new_customers
    returning day
),

upserted_customer_days as (
    insert into fact_customer_day as stored (
        customer_id, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
        refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
        dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
        first_payment_of_month, first_payment
    )
    select
        customer_id, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
        refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
        dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
        first_payment_of_month, first_payment
    from current_customer_days
    order by customer_id, day
    on conflict (customer_id, day) do update set
        gross = excluded.gross,
        charge_count = excluded.charge_count,
        charge_fees = excluded.charge_fees,
        failed_charge_count = excluded.failed_charge_count,
        refund_count = excluded.refund_count,
        refunded = excluded.refunded,
        refund_fees = excluded.refund_fees,
        disputes_opened = excluded.disputes_opened,
        disputes_won = excluded.disputes_won,
        disputes_lost = excluded.disputes_lost,
        dispute_funds_withdrawn = excluded.dispute_funds_withdrawn,
        dispute_funds_reinstated = excluded.dispute_funds_reinstated,
        dispute_fees = excluded.dispute_fees,
        first_payment_of_month = excluded.first_payment_of_month,
        first_payment = excluded.first_payment
    where (
        stored.gross, stored.charge_count, stored.charge_fees, stored.failed_charge_count,
        stored.refund_count, stored.refunded, stored.refund_fees, stored.disputes_opened,
        stored.disputes_won, stored.disputes_lost, stored.dispute_funds_withdrawn,
        stored.dispute_funds_reinstated, stored.dispute_fees, stored.first_payment_of_month,
        stored.first_payment
    ) is distinct from (
        excluded.gross, excluded.charge_count, excluded.charge_fees,
        excluded.failed_charge_count, excluded.refund_count, excluded.refunded,
        excluded.refund_fees, excluded.disputes_opened, excluded.disputes_won,
        excluded.disputes_lost, excluded.dispute_funds_withdrawn,
        excluded.dispute_funds_reinstated, excluded.dispute_fees,
        excluded.first_payment_of_month, excluded.first_payment
    )
    returning customer_id
),

-- customer-days left without any movement
pruned_customer_days as (
    delete from fact_customer_day as stored
    where
        (%(all_customers)s or stored.customer_id = any(%(customer_ids)s::text[]))
        and not exists (
            select 1
            from current_customer_days as kept
            where kept.customer_id = stored.customer_id and kept.day = stored.day
        )
    returning customer_id
)

select
    (select count(*) from day_totals) as days_changed,
    (select count(*) from upserted_customer_days) + (select count(*) from pruned_customer_days)
        as customer_days_changed
