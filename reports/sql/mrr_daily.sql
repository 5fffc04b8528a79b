-- purpose: MRR at the end of each day of a range (the page's last 90 days)
-- grain: one row per day (reporting time zone), first_day to last_day
-- params: first_day, last_day (dates; movements after last_day stay out)
-- MRR on a day = the sum of all movements up to it; the months before first_day's month come
-- from mart_mrr_month_movement, the rest from mart_mrr_day (a few rows per day, whatever the
-- number of subscriptions).
with before_months as (
    select coalesce(sum(movement_month.amount), 0) as mrr
    from mart_mrr_month_movement as movement_month
    where movement_month.month < date_trunc('month', %(first_day)s::date)::date
),

range_movements as (
    select movement_day.date, sum(movement_day.amount) as amount
    from mart_mrr_day as movement_day
    where
        movement_day.date >= date_trunc('month', %(first_day)s::date)::date
        and movement_day.date <= %(last_day)s::date
    group by movement_day.date
),

report_days as (
    select series.day::date as day
    from generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') as series (day)
),

early_days as (
    select coalesce(sum(range_movements.amount), 0) as mrr
    from range_movements
    where range_movements.date < %(first_day)s::date
)

select
    report_days.day,
    before_months.mrr + early_days.mrr + sum(coalesce(range_movements.amount, 0)) over (
        order by report_days.day
    ) as mrr
from report_days
cross join before_months
cross join early_days
left join range_movements on range_movements.date = report_days.day
order by report_days.day
