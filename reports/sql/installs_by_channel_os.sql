-- purpose: installs over time by channel and OS
-- grain: one row per calendar month (reporting time zone) per channel per OS with installs
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- Counted by (day, channel, client) surrogate keys first, then named: date_sk is the install's
-- day in the reporting time zone (YYYYMMDD), so the range is a range of date_sk, and the counts
-- come from the index on (date_sk, channel_id, client_id) alone.
with daily_installs as materialized (
    select install.date_sk, install.channel_id, install.client_id, count(*) as installs
    from fact_user_first_install as install
    where install.date_sk between to_char(%(first_day)s::date, 'YYYYMMDD')::integer
        and to_char(%(last_day)s::date, 'YYYYMMDD')::integer
    group by install.date_sk, install.channel_id, install.client_id
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
