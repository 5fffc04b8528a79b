-- purpose: installs over time by channel and OS
-- grain: one row per calendar month (reporting time zone) per channel per OS with installs
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
select
    date_trunc('month', install.installed_at at time zone %(time_zone)s)::date as month,
    channel.channel_name,
    client.os_name,
    count(*)::integer as installs
from fact_user_first_install as install
inner join dim_channel as channel on channel.channel_sk = install.channel_id
inner join dim_client as client on client.client_sk = install.client_id
where install.installed_at >= (%(first_day)s::date)::timestamp at time zone %(time_zone)s
    and install.installed_at < (%(last_day)s::date + 1)::timestamp at time zone %(time_zone)s
group by 1, channel.channel_name, client.os_name
order by month, channel.channel_name, client.os_name
