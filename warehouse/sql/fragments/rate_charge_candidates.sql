-- purpose: the charges whose exchange rate can convert an invoice line (fact_invoice_line.sql,
--   its borrowed-rate look-ups before and after the invoice's creation): succeeded charges
--   in the line's currency whose rate is known
-- grain: a condition on fact_transaction rows
-- params: none; reads txn (fact_transaction) and line_rates (the line: its currency) of the
--   including subquery, and is the start of its WHERE clause (the includer adds its own
--   "and txn.occurred_at ..." after it)
-- included by: facts/fact_invoice_line.sql (warehouse/sql_files.py, `-- include:`)
txn.transaction_type = 'charge' and txn.status = 'succeeded'
and txn.currency = line_rates.currency
and txn.settlement_currency <> ''
and txn.balance_transaction_id <> ''
-- a charge whose rate is known: settled in the line's currency (rate 1),
-- or with its balance transaction synced
and (
    txn.settlement_currency = line_rates.currency
    or exists (
        select 1
        from djstripe_balancetransaction as balance
        where balance.id = txn.balance_transaction_id
        -- a probe by key per charge passed: without the offset, a
        -- generic plan hashes every balance transaction on each run
        -- (19 ms per event at 50,000 charges, growing with history)
        offset 0
    )
)
