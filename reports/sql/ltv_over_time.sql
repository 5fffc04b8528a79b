-- purpose: each full month's LTV over a trailing window of full months ending with it
-- grain: one row per full calendar month (reporting time zone) from first_month to
--   last_month, stopping before current_month
-- params: first_month, last_month, current_month (first days of months), window_months (>= 1)
-- ARPU(m) and churn(m) as in monthly_metrics.sql; LTV(m) = average ARPU / average churn over
--   the window_months months ending with m, each average skipping the months where its
--   metric is undefined; no churn in the window -> no LTV.
-- Reads fact_month (one pre-aggregated row per month).
with report_months as (
    select generated_month::date as month
    from generate_series(
        (%(first_month)s::date - make_interval(months => %(window_months)s::integer - 1))::date,
        least(%(last_month)s::date, (%(current_month)s::date - interval '1 month')::date),
        interval '1 month'
    ) as generated_month
),

monthly_rates as (
    select
        report_months.month,
        coalesce(this_month.net, 0)::numeric / nullif(this_month.paying_customers, 0) as arpu,
        coalesce(this_month.churned_customers, 0)::numeric
        / nullif(previous_month.paying_customers, 0) as churn_rate
    from report_months
    left join fact_month as this_month on this_month.month = report_months.month
    left join fact_month as previous_month
        on previous_month.month = (report_months.month - interval '1 month')::date
),

trailing_averages as (
    select
        month,
        count(*) over trailing_window as window_months,
        count(arpu) over trailing_window as arpu_months,
        count(churn_rate) over trailing_window as churn_months,
        avg(arpu) over trailing_window as average_arpu,
        avg(churn_rate) over trailing_window as average_churn
    from monthly_rates
    window trailing_window as (
        order by month rows between %(window_preceding)s preceding and current row
    )
)

select
    month,
    window_months::integer as window_months,
    arpu_months::integer as arpu_months,
    churn_months::integer as churn_months,
    round(average_arpu, 2) as average_arpu,
    round(average_churn, 6) as average_churn,
    round(average_arpu / nullif(average_churn, 0), 2) as ltv
from trailing_averages
where month >= %(first_month)s::date
order by month
