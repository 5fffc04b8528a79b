-- purpose: one customer's identity, lifetime figures and acquisition channel
-- grain: one row (none when the customer is unknown)
-- params: customer_id (Stripe id, cus_...)
-- The acquisition channel is the channel of the first install of the customer's app user
-- (fact_user_acquisition, joined by dim_customer.user_id).
select
    customer.stripe_id as customer_id,
    customer.email,
    customer.name,
    customer.user_id,
    customer.country,
    customer.created,
    customer.deleted,
    lifetime.first_payment_month,
    lifetime.last_payment_month,
    coalesce(lifetime.active_months, 0)::integer as active_months,
    coalesce(lifetime.total_net, 0)::bigint as total_net,
    acquisition.installed_at as first_installed_at,
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label
from dim_customer as customer
left join fact_customer_lifetime as lifetime on lifetime.customer_id = customer.stripe_id
left join fact_user_acquisition as acquisition on acquisition.user_id = customer.user_id
left join dim_channel as channel on channel.channel_sk = acquisition.channel_id
where customer.stripe_id = %(customer_id)s
