-- purpose: dj-stripe's synced balance transactions, renamed, fee and net parsed from the JSON once
-- grain: one row per Stripe balance transaction
-- params: none (a view; filter it on balance_transaction_id, the unique index of djstripe_balancetransaction)
create or replace view stg_stripe__balance_transactions as
select
    balance.id as balance_transaction_id,
    balance.amount,
    (balance.stripe_data ->> 'fee')::bigint as fee,
    (balance.stripe_data ->> 'net')::bigint as net,
    lower(balance.currency) as currency,
    balance.created,
    balance.source as source_id,
    balance.livemode
from djstripe_balancetransaction as balance
