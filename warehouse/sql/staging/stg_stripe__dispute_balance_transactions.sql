-- purpose: the balance transactions of each dispute (funds withdrawn, funds reinstated), from
--   the dispute's JSON list, each with its settlement joined
-- grain: one row per dispute per balance transaction
-- params: none (a view; filter it on dispute_id, indexed in djstripe_dispute)
create or replace view stg_stripe__dispute_balance_transactions as
with dispute_entries as (
    select
        dispute.id as dispute_id,
        coalesce(entry ->> 'id', entry #>> '{}') as balance_transaction_id,
        case when jsonb_typeof(entry) = 'object' then entry end as embedded_balance_transaction
    -- include: fragments/dispute_balance_entries.sql
)

select
    dispute_entries.dispute_id,
    dispute_entries.balance_transaction_id,
    settlement.settlement_amount,
    settlement.fee,
    settlement.net,
    settlement.settlement_currency,
    settlement.settled_at
from dispute_entries
left join lateral stg_stripe__settlement(
    dispute_entries.balance_transaction_id, dispute_entries.embedded_balance_transaction
) as settlement on true
