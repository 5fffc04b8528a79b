-- purpose: acquisition funnel per channel: first installs, paying customers, revenue
-- grain: one row per channel (all channels, zeros included)
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- A user's channel is the channel of their first install ever; users count when that first
-- install falls in the range. Users become customers through dim_customer.user_id; a
-- customer pays once they have a succeeded charge. Revenue is their net to date (settlement
-- minor units); net revenue per paying customer is that net / paying customers (realised
-- value to date, not the LTV of the LTV page). Each user's first install comes pre-computed from fact_user_acquisition
-- (kept by the install write path), not from all installs.
-- the range's bounds as moments, worked out once rather than once per row
with range_bounds as materialized (
    select
        (%(first_day)s::date)::timestamp at time zone %(time_zone)s as range_start,
        (%(last_day)s::date + 1)::timestamp at time zone %(time_zone)s as range_end
),

first_installs_in_range as not materialized (
    select acquisition.user_id, acquisition.channel_id
    from fact_user_acquisition as acquisition
    cross join range_bounds
    where acquisition.installed_at >= range_bounds.range_start
        and acquisition.installed_at < range_bounds.range_end
),

channel_installs as (
    select channel_id, count(*) as installs
    from first_installs_in_range
    group by channel_id
),

-- customers (with movements) of the users first installed in range, added up by that first
-- install's channel; a user with several customers counts each of them
channel_revenue as (
    select
        first_installs_in_range.channel_id,
        count(*) filter (where lifetime.first_payment_month is not null) as paying_customers,
        sum(lifetime.total_net) as net_revenue
    from fact_customer_lifetime as lifetime
    inner join dim_customer as customer on customer.stripe_id = lifetime.customer_id
    inner join first_installs_in_range on first_installs_in_range.user_id = customer.user_id
    group by first_installs_in_range.channel_id
)

select
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    coalesce(channel_installs.installs, 0)::integer as installs,
    coalesce(channel_revenue.paying_customers, 0)::integer as paying_customers,
    round(coalesce(channel_revenue.paying_customers, 0)::numeric / nullif(channel_installs.installs, 0), 6)
    as conversion_rate,
    coalesce(channel_revenue.net_revenue, 0)::bigint as net_revenue,
    round(coalesce(channel_revenue.net_revenue, 0)::numeric / nullif(channel_installs.installs, 0), 2)
    as revenue_per_install,
    round(channel_revenue.net_revenue::numeric / nullif(channel_revenue.paying_customers, 0), 2)
    as net_revenue_per_paying_customer
from dim_channel as channel
left join channel_installs on channel_installs.channel_id = channel.channel_sk
left join channel_revenue on channel_revenue.channel_id = channel.channel_sk
order by installs desc, paying_customers desc, channel.channel_name
