-- purpose: the settlement of one money movement (amount, fee and net in the account's currency):
--   dj-stripe's synced balance transaction when held, else the copy expanded inside the
--   movement's own JSON. The one place this rule lives; the staging views of charges, refunds
--   and dispute balance transactions join it laterally.
-- grain: one row per call
-- params: balance_transaction_id (text or null), embedded (jsonb: the expanded balance
--   transaction, or null)
-- A set-returning SQL function that is neither strict nor volatile, so PostgreSQL inlines it
-- into the calling query and looks the balance transaction up by its unique index.
create or replace function stg_stripe__settlement(balance_transaction_id text, embedded jsonb)
returns table (
    settlement_amount bigint,
    fee bigint,
    net bigint,
    settlement_currency text,
    settled_at timestamptz
)
language sql
stable
as $$
    select
        coalesce(balance.amount, (embedded ->> 'amount')::bigint) as settlement_amount,
        coalesce(balance.fee, (embedded ->> 'fee')::bigint) as fee,
        coalesce(balance.net, (embedded ->> 'net')::bigint) as net,
        lower(coalesce(balance.currency, embedded ->> 'currency', '')) as settlement_currency,
        coalesce(balance.created, to_timestamp((embedded ->> 'created')::bigint)) as settled_at
    from (select 1) as one_row
    left join stg_stripe__balance_transactions as balance
        on balance.balance_transaction_id = stg_stripe__settlement.balance_transaction_id
$$
