-- purpose: installs over time by channel and OS
-- grain: one row per calendar month (reporting time zone) per channel per OS with installs
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- Counted from fact_install_day (installs per day, channel and OS, kept by the install
-- write path), then named: date_sk is the install's day in the reporting time zone, so the
-- range is a range of dim_date days (bounds compared once per day, not once per row).
with days_in_range as (
    select day.date_sk, day.month_start
    from dim_date as day
    where day.date between %(first_day)s::date and %(last_day)s::date
),

daily_installs as (
    select days_in_range.month_start, install_day.channel_id, install_day.os_name, install_day.installs
    from fact_install_day as install_day
    inner join days_in_range on days_in_range.date_sk = install_day.date_sk
)

select
    daily_installs.month_start as month,
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    daily_installs.os_name,
    sum(daily_installs.installs)::integer as installs
from daily_installs
inner join dim_channel as channel on channel.channel_sk = daily_installs.channel_id
group by daily_installs.month_start, channel.channel_name, channel.channel_label, daily_installs.os_name
order by month, channel.channel_name, daily_installs.os_name
