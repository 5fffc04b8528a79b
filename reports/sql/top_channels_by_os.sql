-- purpose: channels ranked by installs from one OS, then by total installs; top N
-- grain: one row per channel (channels without installs included, ranked last)
-- params: os_name (compared case-insensitively), row_limit, time_zone,
--   first_day, last_day (optional calendar dates in the reporting time zone; null = unbounded)
-- Counted from fact_install_day (installs per day, channel and OS, kept by the install
-- write path): date_sk is the install's day in the reporting time zone as YYYYMMDD
-- (warehouse.calendar.date_sk), so the day range is a range of keys (no join per day row).
with channel_installs as (
    select
        install_day.channel_id,
        coalesce(sum(install_day.installs) filter (
            where lower(install_day.os_name) = lower(%(os_name)s)
        ), 0) as os_installs,
        sum(install_day.installs) as total_installs
    from fact_install_day as install_day
    where install_day.date_sk between coalesce(to_char(%(first_day)s::date, 'YYYYMMDD')::integer, 0)
        and coalesce(to_char(%(last_day)s::date, 'YYYYMMDD')::integer, 99999999)
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
