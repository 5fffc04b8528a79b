-- purpose: users with more than one install on one day, with their install counts
-- grain: one row per user_id with two or more installs on the day
-- params: day (a calendar date in the reporting time zone), time_zone (its IANA name)
-- The day's bounds are taken in the reporting time zone, not the server's.
with day_bounds as (
    select
        (%(day)s::date)::timestamp at time zone %(time_zone)s as day_start,
        (%(day)s::date + 1)::timestamp at time zone %(time_zone)s as next_day_start
),

installs_on_day as (
    select install.user_id, install.install_id, install.installed_at
    from fact_install as install
    cross join day_bounds
    where install.installed_at >= day_bounds.day_start
        and install.installed_at < day_bounds.next_day_start
)

select
    user_id,
    count(*)::integer as install_count,
    min(installed_at) as first_installed_at,
    max(installed_at) as last_installed_at
from installs_on_day
group by user_id
having count(*) > 1
order by install_count desc, user_id
