-- purpose: every install of one customer's app user, with its channel and client
-- grain: one row per install, oldest first
-- params: customer_id (Stripe id)
select
    install.install_id,
    install.installed_at,
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    client.os_name,
    client.app_version,
    install.country_code
from dim_customer as customer
inner join fact_install as install on install.user_id = customer.user_id
inner join dim_channel as channel on channel.channel_sk = install.channel_id
inner join dim_client as client on client.client_sk = install.client_id
where customer.stripe_id = %(customer_id)s
order by install.installed_at, install.install_id
