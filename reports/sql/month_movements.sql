-- purpose: what each month's money did: net revenue, refunds, disputes, fees and failed
--   payments, every movement counted in its own month (settlement minor units)
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months),
--   through_day (null = whole months; n = only each month's days 1..n, for "to date"
--   comparisons with the same days of another month)
-- Disputes: funds withdrawn and funds reinstated are separate columns, each in the month of
--   its balance transaction, so a dispute won in a later month never hides this month's
--   withdrawal. opened = disputes whose funds were withdrawn in the month; won / lost = of
--   those, the ones whose status is now won / lost. Dispute fees (fees on the dispute's
--   balance transactions) are apart from processing fees (fees on charges and refunds).
-- Reads only fact_day (the movements of known customers per day, kept by the
-- fact_customer_day mart): at most 31 rows a month, whatever the number of charges. Paying
-- customers through day n are the customers whose first succeeded charge of the month falls
-- on days 1..n, which fact_day counts on that day.
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

report_days as (
    select
        date_trunc('month', day_row.day)::date as month,
        day_row.gross,
        day_row.charge_count,
        day_row.charge_fees,
        day_row.failed_charge_count,
        day_row.refund_count,
        day_row.refunded,
        day_row.refund_fees,
        day_row.disputes_opened,
        day_row.disputes_won,
        day_row.disputes_lost,
        day_row.dispute_funds_withdrawn,
        day_row.dispute_funds_reinstated,
        day_row.dispute_fees,
        day_row.paying_customers
    from fact_day as day_row
    where day_row.day >= %(first_month)s::date
        and day_row.day < (%(last_month)s::date + interval '1 month')::date
        and (
            %(through_day)s::integer is null
            or extract(day from day_row.day) <= %(through_day)s::integer
        )
),

month_totals as (
    select
        month,
        sum(gross) as gross,
        sum(refunded) as refunded,
        sum(dispute_funds_withdrawn) as dispute_funds_withdrawn,
        sum(dispute_funds_reinstated) as dispute_funds_reinstated,
        sum(dispute_fees) as dispute_fees,
        -- processing fees: succeeded charges and refunds, i.e. every fee but the disputes'
        sum(charge_fees + refund_fees) as processing_fees,
        sum(paying_customers) as paying_customers,
        sum(charge_count) as succeeded_charges,
        sum(failed_charge_count) as failed_charges,
        sum(refund_count) as refund_count,
        sum(disputes_opened) as disputes_opened,
        sum(disputes_won) as disputes_won,
        sum(disputes_lost) as disputes_lost
    from report_days
    group by month
),

month_figures as (
    select
        report_months.month,
        coalesce(totals.gross, 0) as gross,
        coalesce(totals.refunded, 0) as refunded,
        coalesce(totals.dispute_funds_withdrawn, 0) as dispute_funds_withdrawn,
        coalesce(totals.dispute_funds_reinstated, 0) as dispute_funds_reinstated,
        coalesce(totals.dispute_fees, 0) as dispute_fees,
        coalesce(totals.processing_fees, 0) as processing_fees,
        coalesce(totals.paying_customers, 0) as paying_customers,
        coalesce(totals.succeeded_charges, 0) as succeeded_charges,
        coalesce(totals.failed_charges, 0) as failed_charges,
        coalesce(totals.refund_count, 0) as refund_count,
        coalesce(totals.disputes_opened, 0) as disputes_opened,
        coalesce(totals.disputes_won, 0) as disputes_won,
        coalesce(totals.disputes_lost, 0) as disputes_lost
    from report_months
    left join month_totals as totals on totals.month = report_months.month
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
