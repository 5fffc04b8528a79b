-- purpose: every customer's months as fact_transaction says now: totals, cohort and the
--   to-date columns. The delta and full forms of the customer marts read it.
-- grain: one row per customer per calendar month (reporting time zone) with any movement
-- params: none (a view; filter it on customer_id: the filter reaches fact_transaction's
--   customer index through the grouping and the windows, which are all per customer). The
--   reporting time zone is the transaction's setting stripe_dwh.reporting_time_zone, which
--   warehouse.services.marts sets before reading it (an unset zone is an error, not UTC).
create or replace view int_customer_months as
with customer_movements as (
    select
        txn.customer_id,
        date_trunc(
            'month', txn.occurred_at at time zone current_setting('stripe_dwh.reporting_time_zone')
        )::date as month,
        txn.transaction_type,
        txn.status,
        -- the balance transaction's settlement amount; the charged amount until it is known
        coalesce(txn.settlement_amount, txn.amount) as settled_amount,
        coalesce(txn.fee, 0) as fee
    from fact_transaction as txn
    where txn.customer_id is not null
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
)

select
    totals.customer_id,
    totals.month,
    min(totals.month) filter (where totals.charge_count > 0) over customer_months
        as first_payment_month,
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
window
    customer_months as (partition by totals.customer_id),
    customer_history as (partition by totals.customer_id order by totals.month)
