-- purpose: delete fact_transaction rows whose source object dj-stripe no longer holds
--          (a charge, refund or dispute deleted locally), and dispute directions that no
--          balance transaction of the dispute supports any more
-- grain: one row per money movement
-- params: all_rows (bool), ids (text[]: charge, refund and dispute ids; ignored when all_rows),
--         since (timestamptz or null)
delete from fact_transaction as txn
where
    (%(all_rows)s or txn.stripe_id = any(%(ids)s::text[]))
    and (%(since)s::timestamptz is null or txn.occurred_at >= %(since)s::timestamptz)
    and case txn.transaction_type
        when 'charge' then not exists (
            select 1 from djstripe_charge as charge where charge.id = txn.stripe_id
        )
        when 'refund' then not exists (
            select 1 from djstripe_refund as refund where refund.id = txn.stripe_id
        )
        else not exists (
            select 1
            -- include: fragments/dispute_balance_entries.sql
            left join djstripe_balancetransaction as balance
                on balance.id = coalesce(entry ->> 'id', entry #>> '{}')
            where
                dispute.id = txn.stripe_id
                and case
                    when coalesce(balance.amount, (entry ->> 'amount')::bigint) < 0
                        then 'dispute_withdrawal'
                    when coalesce(balance.amount, (entry ->> 'amount')::bigint) > 0
                        then 'dispute_reinstatement'
                end = txn.transaction_type
        )
    end
