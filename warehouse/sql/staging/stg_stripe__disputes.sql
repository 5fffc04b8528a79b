-- purpose: dj-stripe's disputes with their JSON parsed once
-- grain: one row per Stripe dispute
-- params: none (a view; filter it on dispute_id, indexed in djstripe_dispute)
create or replace view stg_stripe__disputes as
select
    dispute.id as dispute_id,
    coalesce(
        dispute.charge_id,
        dispute.stripe_data -> 'charge' ->> 'id',
        dispute.stripe_data ->> 'charge'
    ) as charge_id,
    coalesce(dispute.stripe_data ->> 'status', '') as status,
    (dispute.stripe_data ->> 'amount')::bigint as amount,
    lower(dispute.stripe_data ->> 'currency') as currency,
    left(coalesce(dispute.stripe_data ->> 'reason', ''), 255) as reason,
    dispute.created,
    dispute.livemode
from djstripe_dispute as dispute
