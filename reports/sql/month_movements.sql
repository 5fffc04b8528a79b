-- purpose: what each month's money did: net revenue, refunds, disputes, fees and failed
--   payments, every movement counted in its own month (settlement minor units)
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months), time_zone,
--   through_day (null = whole months; n = only each month's days 1..n, for "to date"
--   comparisons with the same days of another month)
-- Disputes: funds withdrawn and funds reinstated are separate columns, each in the month of
--   its balance transaction, so a dispute won in a later month never hides this month's
--   withdrawal. opened = disputes whose funds were withdrawn in the month; won / lost = of
--   those, the ones whose status is now won / lost. Dispute fees (fees on the dispute's
--   balance transactions) are apart from processing fees (fees on charges and refunds).
-- Reads fact_month for whole months' charges (pre-aggregated) and fact_transaction for the
-- refund and dispute movements, and for the charges of months to date (movements of known
-- customers, like fact_customer_month): by index-only scans of fact_txn_non_charge_cover_idx
-- and fact_txn_charge_cover_idx, since a month's movements lie on about as many heap pages
-- as there are movements.
with range_bounds as materialized (
    select
        (%(first_month)s::date)::timestamp at time zone %(time_zone)s as range_start,
        ((%(last_month)s::date + interval '1 month')::timestamp) at time zone %(time_zone)s as range_end
),

report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

-- refunds and dispute movements: a few percent of the rows, so only they are read whole-month
other_movements as (
    select
        txn.stripe_id,
        txn.transaction_type,
        txn.status,
        date_trunc('month', txn.occurred_at at time zone %(time_zone)s)::date as month,
        coalesce(txn.settlement_amount, txn.amount) as settled_amount,
        coalesce(txn.fee, 0) as fee
    from fact_transaction as txn
    cross join range_bounds
    where txn.occurred_at >= range_bounds.range_start
        and txn.occurred_at < range_bounds.range_end
        and txn.transaction_type <> 'charge'
        and txn.customer_id is not null
        and (
            %(through_day)s::integer is null
            or extract(day from txn.occurred_at at time zone %(time_zone)s) <= %(through_day)s::integer
        )
),

-- the charges of the first days of the months, when comparing months to date (their
-- refunds and disputes are in other_movements, read with the same days)
charges_to_date as (
    select
        txn.customer_id,
        txn.status,
        date_trunc('month', txn.occurred_at at time zone %(time_zone)s)::date as month,
        -- the balance transaction's settlement amount; the charged amount until it is known
        coalesce(txn.settlement_amount, txn.amount) as settled_amount,
        coalesce(txn.fee, 0) as fee
    from fact_transaction as txn
    cross join range_bounds
    where %(through_day)s::integer is not null
        and txn.transaction_type = 'charge'
        and txn.occurred_at >= range_bounds.range_start
        and txn.occurred_at < range_bounds.range_end
        and txn.customer_id is not null
        and extract(day from txn.occurred_at at time zone %(time_zone)s) <= %(through_day)s::integer
),

charge_totals_to_date as (
    select
        month,
        coalesce(sum(settled_amount) filter (where status = 'succeeded'), 0) as gross,
        count(distinct customer_id) filter (where status = 'succeeded') as paying_customers,
        count(*) filter (where status = 'succeeded') as succeeded_charges,
        count(*) filter (where status = 'failed') as failed_charges,
        coalesce(sum(fee) filter (where status = 'succeeded'), 0) as fees
    from charges_to_date
    group by month
),

month_other_totals as (
    select
        month,
        count(*) filter (where transaction_type = 'refund') as refund_count,
        -sum(settled_amount) filter (where transaction_type = 'refund') as refunded,
        count(distinct stripe_id) filter (where transaction_type = 'dispute_withdrawal') as disputes_opened,
        count(distinct stripe_id) filter (
            where transaction_type = 'dispute_withdrawal' and status = 'won'
        ) as disputes_won,
        count(distinct stripe_id) filter (
            where transaction_type = 'dispute_withdrawal' and status = 'lost'
        ) as disputes_lost,
        -sum(settled_amount) filter (where transaction_type = 'dispute_withdrawal') as dispute_funds_withdrawn,
        sum(settled_amount) filter (where transaction_type = 'dispute_reinstatement') as dispute_funds_reinstated,
        sum(fee) filter (
            where transaction_type in ('dispute_withdrawal', 'dispute_reinstatement')
        ) as dispute_fees,
        sum(fee) as fees
    from other_movements
    group by month
),

-- charges per month: pre-aggregated in fact_month for whole months, counted for months to
-- date; fees as fact_month sums them (succeeded charges, refunds and disputes)
month_charges as (
    select
        month_row.month,
        month_row.gross,
        month_row.paying_customers,
        month_row.charge_count as succeeded_charges,
        month_row.failed_charge_count as failed_charges,
        month_row.fees
    from fact_month as month_row
    where %(through_day)s::integer is null
        and month_row.month between %(first_month)s::date and %(last_month)s::date
    union all
    -- a month to date with refunds or disputes but no charge yet still has their fees
    select
        coalesce(charge_totals.month, other.month) as month,
        coalesce(charge_totals.gross, 0) as gross,
        coalesce(charge_totals.paying_customers, 0) as paying_customers,
        coalesce(charge_totals.succeeded_charges, 0) as succeeded_charges,
        coalesce(charge_totals.failed_charges, 0) as failed_charges,
        coalesce(charge_totals.fees, 0) + coalesce(other.fees, 0) as fees
    from charge_totals_to_date as charge_totals
    full join month_other_totals as other on other.month = charge_totals.month
    where %(through_day)s::integer is not null
),

month_figures as (
    select
        report_months.month,
        coalesce(month_charges.gross, 0) as gross,
        coalesce(other.refunded, 0) as refunded,
        coalesce(other.dispute_funds_withdrawn, 0) as dispute_funds_withdrawn,
        coalesce(other.dispute_funds_reinstated, 0) as dispute_funds_reinstated,
        coalesce(other.dispute_fees, 0) as dispute_fees,
        -- processing fees: succeeded charges and refunds, i.e. every fee but the disputes'
        coalesce(month_charges.fees, 0) - coalesce(other.dispute_fees, 0) as processing_fees,
        coalesce(month_charges.paying_customers, 0) as paying_customers,
        coalesce(month_charges.succeeded_charges, 0) as succeeded_charges,
        coalesce(month_charges.failed_charges, 0) as failed_charges,
        coalesce(other.refund_count, 0) as refund_count,
        coalesce(other.disputes_opened, 0) as disputes_opened,
        coalesce(other.disputes_won, 0) as disputes_won,
        coalesce(other.disputes_lost, 0) as disputes_lost
    from report_months
    left join month_charges on month_charges.month = report_months.month
    left join month_other_totals as other on other.month = report_months.month
)

select
    month,
    gross::bigint as gross,
    (gross - refunded - dispute_funds_withdrawn + dispute_funds_reinstated)::bigint as net_revenue,
    paying_customers::integer as paying_customers,
    round(
        (gross - refunded - dispute_funds_withdrawn + dispute_funds_reinstated)::numeric
        / nullif(paying_customers, 0),
        2
    ) as arpu,
    refund_count::integer as refund_count,
    refunded::bigint as refunded,
    round(refunded::numeric / nullif(gross, 0), 6) as refund_rate,
    disputes_opened::integer as disputes_opened,
    disputes_won::integer as disputes_won,
    disputes_lost::integer as disputes_lost,
    dispute_funds_withdrawn::bigint as dispute_funds_withdrawn,
    dispute_funds_reinstated::bigint as dispute_funds_reinstated,
    dispute_fees::bigint as dispute_fees,
    processing_fees::bigint as processing_fees,
    (refunded + dispute_funds_withdrawn - dispute_funds_reinstated + dispute_fees)::bigint
    as refunds_and_disputes_cost,
    succeeded_charges::integer as succeeded_charges,
    failed_charges::integer as failed_charges,
    round(failed_charges::numeric / nullif(succeeded_charges + failed_charges, 0), 6)
    as failed_payment_rate
from month_figures
order by month
