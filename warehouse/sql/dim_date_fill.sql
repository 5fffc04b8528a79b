-- purpose: add the calendar days between two dates to dim_date (existing days are kept)
-- grain: one row per calendar day
with calendar_days as (
    select generated_day::date as calendar_date
    from generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') as generated_day
)

insert into dim_date (date_sk, date, year, quarter, month, iso_year, iso_week, weekday, month_start)
select
    to_char(calendar_date, 'YYYYMMDD')::integer as date_sk,
    calendar_date as date,
    extract(year from calendar_date)::smallint as year,
    extract(quarter from calendar_date)::smallint as quarter,
    extract(month from calendar_date)::smallint as month,
    extract(isoyear from calendar_date)::smallint as iso_year,
    extract(week from calendar_date)::smallint as iso_week,
    extract(isodow from calendar_date)::smallint as weekday,
    date_trunc('month', calendar_date)::date as month_start
from calendar_days
-- no conflict target: dim_date has two unique keys (date_sk and date), and concurrent writers
-- extending the calendar to the same new day must skip it on either, not fail on the other
on conflict do nothing
