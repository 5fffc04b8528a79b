-- purpose: reports/sql/channel_funnel.sql on the pre-aggregates of setup_first_installs.sql
-- grain: one row per channel (all channels, zeros included)
-- params: first_day, last_day, time_zone
with first_installs_in_range as (
    select first_install.user_id, first_install.channel_id
    from bench_experiment.user_first_install as first_install
    where first_install.installed_at >= (%(first_day)s::date)::timestamp at time zone %(time_zone)s
        and first_install.installed_at < (%(last_day)s::date + 1)::timestamp at time zone %(time_zone)s
),

channel_installs as (
    select channel_id, count(*) as installs
    from first_installs_in_range
    group by channel_id
),

channel_revenue as (
    select
        first_installs_in_range.channel_id,
        count(*) filter (where totals.has_paid) as paying_customers,
        sum(totals.net_revenue) as net_revenue
    from first_installs_in_range
    inner join dim_customer as customer on customer.user_id = first_installs_in_range.user_id
    inner join bench_experiment.customer_totals as totals on totals.customer_id = customer.stripe_id
    group by first_installs_in_range.channel_id
)

select
    channel.channel_name,
    coalesce(channel_installs.installs, 0)::integer as installs,
    coalesce(channel_revenue.paying_customers, 0)::integer as paying_customers,
    round(coalesce(channel_revenue.paying_customers, 0)::numeric / nullif(channel_installs.installs, 0), 6)
    as conversion_rate,
    coalesce(channel_revenue.net_revenue, 0)::bigint as net_revenue,
    round(coalesce(channel_revenue.net_revenue, 0)::numeric / nullif(channel_installs.installs, 0), 2)
    as revenue_per_install,
    round(channel_revenue.net_revenue::numeric / nullif(channel_revenue.paying_customers, 0), 2)
    as average_ltv_per_paying_customer
from dim_channel as channel
left join channel_installs on channel_installs.channel_id = channel.channel_sk
left join channel_revenue on channel_revenue.channel_id = channel.channel_sk
order by installs desc, paying_customers desc, channel.channel_name
