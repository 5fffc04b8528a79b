-- purpose: acquisition funnel per channel: first installs, paying customers, revenue
-- grain: one row per channel (all channels, zeros included)
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- A user's channel is the channel of their first install ever; users count when that first
-- install falls in the range. Users become customers through dim_customer.user_id; a
-- customer pays once they have a succeeded charge. Revenue is their net to date (settlement
-- minor units); net revenue per paying customer is that net / paying customers (realised
-- value to date, not the LTV of the LTV page). Summed from fact_channel_funnel_day (first
-- installs, paying customers and net per day of the first install, channel and OS, kept by
-- the install write path and the payments change set): date_sk is the first install's day in
-- the reporting time zone as YYYYMMDD (warehouse.calendar.date_sk), so the range is a range
-- of keys (no join per day row), and the cost follows the days and channels, not the users.
-- time_zone is unused (the days are the mart's).
with channel_funnel as (
    select
        funnel_day.channel_id,
        sum(funnel_day.users) as installs,
        sum(funnel_day.paying_customers) as paying_customers,
        sum(funnel_day.net_revenue) as net_revenue
    from fact_channel_funnel_day as funnel_day
    where funnel_day.date_sk between to_char(%(first_day)s::date, 'YYYYMMDD')::integer
        and to_char(%(last_day)s::date, 'YYYYMMDD')::integer
    group by funnel_day.channel_id
)

select
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    coalesce(channel_funnel.installs, 0)::integer as installs,
    coalesce(channel_funnel.paying_customers, 0)::integer as paying_customers,
    round(coalesce(channel_funnel.paying_customers, 0)::numeric / nullif(channel_funnel.installs, 0), 6)
    as conversion_rate,
    coalesce(channel_funnel.net_revenue, 0)::bigint as net_revenue,
    round(coalesce(channel_funnel.net_revenue, 0)::numeric / nullif(channel_funnel.installs, 0), 2)
    as revenue_per_install,
    round(channel_funnel.net_revenue::numeric / nullif(channel_funnel.paying_customers, 0), 2)
    as net_revenue_per_paying_customer
from dim_channel as channel
left join channel_funnel on channel_funnel.channel_id = channel.channel_sk
order by installs desc, paying_customers desc, channel.channel_name
