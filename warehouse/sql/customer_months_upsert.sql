-- purpose: recompute fact_customer_month from fact_transaction, for some customers or all
-- grain: one row per customer per calendar month (reporting time zone) with any movement
-- params: time_zone, all_customers (bool), customer_ids (text[]; ignored when all_customers)
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
)

insert into fact_customer_month (
    customer_id, month, first_payment_month, gross, refunds, disputes, net, fees,
    charge_count, failed_charge_count, updated_at
)
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
    now() as updated_at
from customer_month_totals as totals
inner join customer_cohorts as cohorts on cohorts.customer_id = totals.customer_id
on conflict (customer_id, month) do update set
    first_payment_month = excluded.first_payment_month,
    gross = excluded.gross,
    refunds = excluded.refunds,
    disputes = excluded.disputes,
    net = excluded.net,
    fees = excluded.fees,
    charge_count = excluded.charge_count,
    failed_charge_count = excluded.failed_charge_count,
    updated_at = excluded.updated_at
where (
    fact_customer_month.first_payment_month, fact_customer_month.gross,
    fact_customer_month.refunds, fact_customer_month.disputes, fact_customer_month.fees,
    fact_customer_month.charge_count, fact_customer_month.failed_charge_count
) is distinct from (
    excluded.first_payment_month, excluded.gross, excluded.refunds, excluded.disputes,
    excluded.fees, excluded.charge_count, excluded.failed_charge_count
)
