-- purpose: the answer of the MRR refresh's first round trip (warehouse.services.subscriptions):
--   whether fact_mrr_change.sql wrote or deleted a change in it, as the rest of the refresh
--   (movements, the MRR marts, MRR by channel) has work only then, and what dj-stripe left out
--   of the flush's invoices (facts/invoice_upstream_gaps.sql; nothing when invoice_ids is
--   empty)
-- grain: one row ('mrr_changed', 'true' or 'false'), then one row per gap kind × Stripe id
-- params: invoice_ids (text[])
select
    'mrr_changed' as kind,
    (coalesce(current_setting('stripe_dwh.mrr_changed_change_months', true), '') <> '')::text
        as stripe_id
union all
select gaps.kind, gaps.stripe_id
from (
    -- include: facts/invoice_upstream_gaps.sql
) as gaps
