-- purpose: channels ranked by installs from one OS, then by total installs; top N
-- grain: one row per channel (channels without installs included, ranked last)
-- params: os_name (compared case-insensitively), row_limit, time_zone,
--   first_day, last_day (optional calendar dates in the reporting time zone; null = unbounded)
-- Counted from fact_install_day (installs per day, channel and OS, kept by the install
-- write path): date_sk is the install's day in the reporting time zone, so the day range is
-- a range of dim_date days (bounds compared once per day, not once per row).
with days_in_range as (
    select day.date_sk
    from dim_date as day
    where (%(first_day)s::date is null or day.date >= %(first_day)s::date)
        and (%(last_day)s::date is null or day.date <= %(last_day)s::date)
),

channel_installs as (
    select
        install_day.channel_id,
        coalesce(sum(install_day.installs) filter (
            where lower(install_day.os_name) = lower(%(os_name)s)
        ), 0) as os_installs,
        sum(install_day.installs) as total_installs
    from fact_install_day as install_day
    inner join days_in_range on days_in_range.date_sk = install_day.date_sk
    group by install_day.channel_id
)

select
    channel.channel_name,
    channel.channel_group,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    coalesce(channel_installs.os_installs, 0)::integer as os_installs,
    coalesce(channel_installs.total_installs, 0)::integer as total_installs
from dim_channel as channel
left join channel_installs on channel_installs.channel_id = channel.channel_sk
order by os_installs desc, total_installs desc, channel.channel_name
limit %(row_limit)s
