-- purpose: dj-stripe's subscriptions with their state and dates parsed out of the JSON
-- grain: one row per subscription
-- params: none (a view, created by migration)
create or replace view stg_stripe__subscriptions as
with subscriptions as (
    select subscription.id, subscription.customer_id, subscription.stripe_data,
        subscription.created, subscription.livemode
    from djstripe_subscription as subscription
)

select
    subscriptions.id as subscription_id,
    -- dj-stripe's required foreign key, kept bare so that filters on it use its index
    subscriptions.customer_id,
    coalesce(subscriptions.stripe_data ->> 'status', '') as status,
    subscriptions.created,
    to_timestamp((subscriptions.stripe_data ->> 'start_date')::bigint) as start_date,
    to_timestamp((subscriptions.stripe_data ->> 'ended_at')::bigint) as ended_at,
    to_timestamp((subscriptions.stripe_data ->> 'canceled_at')::bigint) as canceled_at,
    to_timestamp((subscriptions.stripe_data ->> 'cancel_at')::bigint) as cancel_at,
    coalesce((subscriptions.stripe_data ->> 'cancel_at_period_end')::boolean, false)
        as cancel_at_period_end,
    to_timestamp((subscriptions.stripe_data ->> 'trial_start')::bigint) as trial_start,
    to_timestamp((subscriptions.stripe_data ->> 'trial_end')::bigint) as trial_end,
    array(
        select item.value ->> 'id'
        from jsonb_array_elements(
            case
                when jsonb_typeof(subscriptions.stripe_data -> 'items' -> 'data') = 'array'
                    then subscriptions.stripe_data -> 'items' -> 'data'
                else '[]'::jsonb
            end
        ) as item (value)
    ) as current_item_ids,
    subscriptions.livemode
from subscriptions
