-- purpose: the account's settlement currency, as recorded on its latest balance transaction
-- grain: one row (or none when nothing has settled yet)
-- params: none
select txn.settlement_currency
from fact_transaction as txn
where txn.settlement_currency <> ''
order by txn.transaction_sk desc
limit 1
