-- purpose: upsert fact_transaction from the staging views: the charges, refunds and disputes
--   of a change set (or all of them), in one statement; report what changed
-- grain: one row per money movement: a charge, a refund, a dispute's funds withdrawn, a
--   dispute's funds reinstated (stripe_id, transaction_type)
-- params: all_rows (bool), charge_ids, refund_ids, dispute_ids (text[]; ignored when all_rows),
--   since / until (timestamptz or null: charges and refunds created, dispute money moved, in
--   [since, until)), time_zone, report_changes (bool: return the customers, payment methods
--   and time span of the rows written; false for the rebuild)
-- returns one row: charges, refunds, disputes (rows written per kind), customer_ids (the
--   customers of the rows written, before and after), payment_method_ids, first_occurred_at,
--   last_occurred_at; with report_changes also sets them, for the statements that follow in
--   the same round trip, as transaction-local settings: stripe_dwh.fact_customer_ids,
--   stripe_dwh.fact_payment_method_ids (text[] literals), stripe_dwh.fact_first_day,
--   stripe_dwh.fact_last_day (reporting-time-zone days, '' when nothing changed)
-- Rows whose values are unchanged are not rewritten, so a repeated event reports nothing.
-- A failed or canceled refund keeps its row with zero amounts. A dispute without balance
-- transactions (an inquiry, or funds not yet withdrawn) moved no money and has no row.
with changed_charges as (
    select
        charge.charge_id,
        charge.status,
        charge.customer_id,
        charge.payment_method_id,
        charge.created,
        charge.amount,
        charge.currency,
        charge.balance_transaction_id,
        charge.settlement_amount,
        charge.fee,
        charge.net,
        charge.settlement_currency,
        charge.failure_code,
        charge.failure_message,
        charge.livemode
    from stg_stripe__charges as charge
    where
        (%(all_rows)s or charge.charge_id = any(%(charge_ids)s::text[]))
        and (%(since)s::timestamptz is null or charge.created >= %(since)s::timestamptz)
        and (%(until)s::timestamptz is null or charge.created < %(until)s::timestamptz)
),

changed_refunds as (
    select
        refund.refund_id,
        refund.charge_id,
        refund.status,
        refund.reversed,
        refund.created,
        refund.refunded_amount,
        refund.currency,
        refund.balance_transaction_id,
        refund.settlement_amount,
        refund.fee,
        refund.net,
        refund.settlement_currency,
        refund.failure_reason,
        refund.livemode
    from stg_stripe__refunds as refund
    where
        (%(all_rows)s or refund.refund_id = any(%(refund_ids)s::text[]))
        and (%(since)s::timestamptz is null or refund.created >= %(since)s::timestamptz)
        and (%(until)s::timestamptz is null or refund.created < %(until)s::timestamptz)
),

changed_disputes as (
    select
        dispute.dispute_id,
        dispute.charge_id,
        dispute.status,
        dispute.amount,
        dispute.currency,
        dispute.reason,
        dispute.livemode
    from stg_stripe__disputes as dispute
    where %(all_rows)s or dispute.dispute_id = any(%(dispute_ids)s::text[])
),

-- the charges that refunds and disputes belong to: their customer and payment method
refunded_or_disputed_charges as (
    select charge.charge_id, charge.customer_id, charge.payment_method_id
    from stg_stripe__charges as charge
    where charge.charge_id = any(array(
        select changed_refunds.charge_id from changed_refunds
        union
        select changed_disputes.charge_id from changed_disputes
    ))
),

-- a dispute's balance transactions summed per direction: funds withdrawn (negative
-- settlement) and funds reinstated (positive)
dispute_directions as (
    select
        entry.dispute_id,
        case when entry.settlement_amount < 0 then 'dispute_withdrawal' else 'dispute_reinstatement' end
            as transaction_type,
        min(entry.balance_transaction_id) as balance_transaction_id,
        sum(entry.settlement_amount) as settlement_amount,
        sum(entry.fee) as fee,
        sum(entry.net) as net,
        max(entry.settlement_currency) as settlement_currency,
        min(entry.settled_at) as occurred_at
    from stg_stripe__dispute_balance_transactions as entry
    where
        entry.dispute_id = any(array(select changed_disputes.dispute_id from changed_disputes))
        and entry.settlement_amount is not null
        and entry.settlement_amount <> 0
    group by entry.dispute_id, 2
),

movements as (
    select
        charge.charge_id as stripe_id,
        'charge' as transaction_type,
        charge.status,
        charge.charge_id,
        charge.customer_id,
        charge.payment_method_id,
        charge.created as occurred_at,
        charge.amount,
        charge.currency,
        coalesce(charge.balance_transaction_id, '') as balance_transaction_id,
        charge.settlement_amount,
        charge.fee,
        charge.net,
        charge.settlement_currency,
        charge.failure_code,
        charge.failure_message,
        charge.livemode
    from changed_charges as charge
    union all
    select
        refund.refund_id as stripe_id,
        'refund' as transaction_type,
        refund.status,
        coalesce(refund.charge_id, '') as charge_id,
        refunded.customer_id,
        refunded.payment_method_id,
        refund.created as occurred_at,
        case when refund.reversed then 0 else -refund.refunded_amount end as amount,
        refund.currency,
        coalesce(refund.balance_transaction_id, '') as balance_transaction_id,
        case when refund.reversed then 0 else refund.settlement_amount end as settlement_amount,
        case when refund.reversed then 0 else refund.fee end as fee,
        case when refund.reversed then 0 else refund.net end as net,
        refund.settlement_currency,
        refund.failure_reason as failure_code,
        '' as failure_message,
        refund.livemode
    from changed_refunds as refund
    left join refunded_or_disputed_charges as refunded on refunded.charge_id = refund.charge_id
    union all
    select
        dispute.dispute_id as stripe_id,
        direction.transaction_type,
        dispute.status,
        coalesce(dispute.charge_id, '') as charge_id,
        disputed.customer_id,
        disputed.payment_method_id,
        direction.occurred_at,
        case when direction.transaction_type = 'dispute_withdrawal' then -1 else 1 end
            * dispute.amount as amount,
        dispute.currency,
        direction.balance_transaction_id,
        direction.settlement_amount,
        direction.fee,
        direction.net,
        direction.settlement_currency,
        dispute.reason as failure_code,
        '' as failure_message,
        dispute.livemode
    from dispute_directions as direction
    inner join changed_disputes as dispute on dispute.dispute_id = direction.dispute_id
    left join refunded_or_disputed_charges as disputed on disputed.charge_id = dispute.charge_id
    where
        (%(since)s::timestamptz is null or direction.occurred_at >= %(since)s::timestamptz)
        and (%(until)s::timestamptz is null or direction.occurred_at < %(until)s::timestamptz)
),

-- the customers the rewritten rows belonged to before this statement (one snapshot)
previous_customers as (
    select txn.stripe_id, txn.transaction_type, txn.customer_id
    from fact_transaction as txn
    where
        %(report_changes)s
        and txn.stripe_id = any(%(charge_ids)s::text[] || %(refund_ids)s::text[] || %(dispute_ids)s::text[])
        and txn.customer_id is not null
),

upserted as (
    insert into fact_transaction (
        stripe_id, transaction_type, status, charge_id, customer_id, payment_method_id, date_sk,
        occurred_at, amount, currency, balance_transaction_id, settlement_amount, fee, net,
        settlement_currency, failure_code, failure_message, livemode, updated_at
    )
    select
        movement.stripe_id,
        movement.transaction_type,
        movement.status,
        movement.charge_id,
        movement.customer_id,
        movement.payment_method_id,
        to_char(movement.occurred_at at time zone %(time_zone)s, 'YYYYMMDD')::integer as date_sk,
        movement.occurred_at,
        movement.amount,
        movement.currency,
        movement.balance_transaction_id,
        movement.settlement_amount,
        movement.fee,
        movement.net,
        movement.settlement_currency,
        movement.failure_code,
        movement.failure_message,
        movement.livemode,
        now() as updated_at
    from movements as movement
    order by movement.stripe_id, movement.transaction_type
    on conflict (stripe_id, transaction_type) do update set
        status = excluded.status,
        charge_id = excluded.charge_id,
        customer_id = excluded.customer_id,
        payment_method_id = excluded.payment_method_id,
        date_sk = excluded.date_sk,
        occurred_at = excluded.occurred_at,
        amount = excluded.amount,
        currency = excluded.currency,
        balance_transaction_id = excluded.balance_transaction_id,
        settlement_amount = excluded.settlement_amount,
        fee = excluded.fee,
        net = excluded.net,
        settlement_currency = excluded.settlement_currency,
        failure_code = excluded.failure_code,
        failure_message = excluded.failure_message,
        livemode = excluded.livemode,
        updated_at = excluded.updated_at
    where (
        fact_transaction.status, fact_transaction.charge_id, fact_transaction.customer_id,
        fact_transaction.payment_method_id, fact_transaction.date_sk, fact_transaction.occurred_at,
        fact_transaction.amount, fact_transaction.currency, fact_transaction.balance_transaction_id,
        fact_transaction.settlement_amount, fact_transaction.fee, fact_transaction.net,
        fact_transaction.settlement_currency, fact_transaction.failure_code,
        fact_transaction.failure_message, fact_transaction.livemode
    ) is distinct from (
        excluded.status, excluded.charge_id, excluded.customer_id, excluded.payment_method_id,
        excluded.date_sk, excluded.occurred_at, excluded.amount, excluded.currency,
        excluded.balance_transaction_id, excluded.settlement_amount, excluded.fee, excluded.net,
        excluded.settlement_currency, excluded.failure_code, excluded.failure_message,
        excluded.livemode
    )
    returning stripe_id, transaction_type, customer_id, payment_method_id, occurred_at
),

changed_references as (
    select upserted.customer_id, upserted.payment_method_id, upserted.occurred_at
    from upserted
    where %(report_changes)s
    union all
    select previous.customer_id, null as payment_method_id, null as occurred_at
    from previous_customers as previous
    inner join upserted
        on upserted.stripe_id = previous.stripe_id and upserted.transaction_type = previous.transaction_type
)

select
    (select count(*) from upserted where upserted.transaction_type = 'charge') as charges,
    (select count(*) from upserted where upserted.transaction_type = 'refund') as refunds,
    (select count(*) from upserted where upserted.transaction_type like 'dispute%%') as disputes,
    array_agg(distinct changed.customer_id) filter (where changed.customer_id is not null)
        as customer_ids,
    array_agg(distinct changed.payment_method_id) filter (where changed.payment_method_id is not null)
        as payment_method_ids,
    min(changed.occurred_at) as first_occurred_at,
    max(changed.occurred_at) as last_occurred_at,
    -- the same, for the flush's next statements in the same round trip (Carried parameters,
    -- warehouse/sql_files.py): transaction-local settings, set only when report_changes
    case when %(report_changes)s then set_config(
        'stripe_dwh.fact_customer_ids',
        coalesce(array_agg(distinct changed.customer_id) filter (where changed.customer_id is not null), '{}')::text,
        true
    ) end as carried_customer_ids,
    case when %(report_changes)s then set_config(
        'stripe_dwh.fact_payment_method_ids',
        coalesce(
            array_agg(distinct changed.payment_method_id) filter (where changed.payment_method_id is not null), '{}'
        )::text,
        true
    ) end as carried_payment_method_ids,
    case when %(report_changes)s then set_config(
        'stripe_dwh.fact_first_day',
        coalesce(to_char(min(changed.occurred_at) at time zone %(time_zone)s, 'YYYY-MM-DD'), ''),
        true
    ) end as carried_first_day,
    case when %(report_changes)s then set_config(
        'stripe_dwh.fact_last_day',
        coalesce(to_char(max(changed.occurred_at) at time zone %(time_zone)s, 'YYYY-MM-DD'), ''),
        true
    ) end as carried_last_day
from changed_references as changed
