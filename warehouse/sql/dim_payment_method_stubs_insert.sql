-- purpose: add a placeholder dim_payment_method row for every payment method id that a fact
--          references but dj-stripe has not synced (legacy card_/src_ sources, or not yet)
-- grain: one row per payment method
-- params: all_rows (bool), payment_method_ids (text[]; ignored when all_rows)
with referenced_payment_methods as (
    select distinct txn.payment_method_id
    from fact_transaction as txn
    where
        txn.payment_method_id is not null
        and (%(all_rows)s or txn.payment_method_id = any(%(payment_method_ids)s::text[]))
)

insert into dim_payment_method (
    stripe_id, type, card_brand, card_funding, card_last4, card_fingerprint, card_country,
    wallet, detached, updated_at
)
select
    referenced.payment_method_id as stripe_id,
    '' as type,
    '' as card_brand,
    '' as card_funding,
    '' as card_last4,
    '' as card_fingerprint,
    '' as card_country,
    '' as wallet,
    false as detached,
    now() as updated_at
from referenced_payment_methods as referenced
where not exists (
    select 1 from dim_payment_method as known where known.stripe_id = referenced.payment_method_id
)
on conflict (stripe_id) do nothing
