-- purpose: how a dispute's balance transactions are read from dj-stripe's JSON: its
--   balance_transactions list (none when absent or not a list), each entry an id or an
--   embedded object; the balance transaction's id is coalesce(entry ->> 'id', entry #>> '{}')
-- grain: one row per dispute per entry of its list
-- params: none; a FROM clause giving the aliases dispute (djstripe_dispute) and entry (jsonb)
-- included by: staging/stg_stripe__dispute_balance_transactions.sql, fact_transactions_prune.sql
--   (warehouse/sql_files.py, `-- include:`)
from djstripe_dispute as dispute
cross join lateral jsonb_array_elements(
    case
        when jsonb_typeof(dispute.stripe_data -> 'balance_transactions') = 'array'
            then dispute.stripe_data -> 'balance_transactions'
        else '[]'::jsonb
    end
) as entry
