-- purpose: installs over time by channel and OS
-- grain: one row per calendar month (reporting time zone) per channel per OS with installs
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- Counted from fact_install_day (installs per day, channel and client, kept by the install
-- write path), then named: date_sk is the install's day in the reporting time zone
-- (YYYYMMDD), so the range is a range of date_sk.
with daily_installs as (
    select install_day.date_sk, install_day.channel_id, install_day.client_id, install_day.installs
    from fact_install_day as install_day
    where install_day.date_sk between to_char(%(first_day)s::date, 'YYYYMMDD')::integer
        and to_char(%(last_day)s::date, 'YYYYMMDD')::integer
)

select
    day.month_start as month,
    channel.channel_name,
    client.os_name,
    sum(daily_installs.installs)::integer as installs
from daily_installs
inner join dim_date as day on day.date_sk = daily_installs.date_sk
inner join dim_channel as channel on channel.channel_sk = daily_installs.channel_id
inner join dim_client as client on client.client_sk = daily_installs.client_id
group by day.month_start, channel.channel_name, client.os_name
order by month, channel.channel_name, client.os_name
