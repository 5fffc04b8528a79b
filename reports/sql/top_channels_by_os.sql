-- purpose: channels ranked by installs from one OS, then by total installs; top N
-- grain: one row per channel (channels without installs included, ranked last)
-- params: os_name (compared case-insensitively), row_limit, time_zone,
--   first_day, last_day (optional calendar dates in the reporting time zone; null = unbounded)
with installs_in_range as (
    select install.channel_id, client.os_name
    from fact_user_first_install as install
    inner join dim_client as client on client.client_sk = install.client_id
    where (
        %(first_day)s::date is null
        or install.installed_at >= (%(first_day)s::date)::timestamp at time zone %(time_zone)s
    )
    and (
        %(last_day)s::date is null
        or install.installed_at < (%(last_day)s::date + 1)::timestamp at time zone %(time_zone)s
    )
),

channel_installs as (
    select
        channel_id,
        count(*) filter (where lower(os_name) = lower(%(os_name)s)) as os_installs,
        count(*) as total_installs
    from installs_in_range
    group by channel_id
)

select
    channel.channel_name,
    channel.channel_group,
    channel.channel_label,
    coalesce(channel_installs.os_installs, 0)::integer as os_installs,
    coalesce(channel_installs.total_installs, 0)::integer as total_installs
from dim_channel as channel
left join channel_installs on channel_installs.channel_id = channel.channel_sk
order by os_installs desc, total_installs desc, channel.channel_name
limit %(row_limit)s
