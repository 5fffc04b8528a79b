-- purpose: the first and last moment of the movements since a moment (all when null)
-- grain: one row
-- params: since (timestamptz or null)
select min(txn.occurred_at) as first_occurred_at, max(txn.occurred_at) as last_occurred_at
from fact_transaction as txn
where %(since)s::timestamptz is null or txn.occurred_at >= %(since)s::timestamptz
