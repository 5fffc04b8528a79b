-- purpose: MRR, ARR, movements, Quick Ratio, ARPA, churn rates per month, and the MRR-based
--   LTV of the range (definitions: docs/metrics.md, "Recurring revenue")
-- grain: one row per calendar month (reporting time zone), first_month to last_month; the LTV
--   columns (full_months ... ltv) are the same on every row
-- params: first_month, last_month, current_month (first days of months), today (date:
--   movements after it are scheduled, not happened, and stay out)
-- Money in settlement minor units; contraction and churn amounts are negative. ARPA and LTV
-- have 2 decimals, rates 6, the Quick Ratio 4. Reads mart_mrr_month_movement for the months
-- before current_month and mart_mrr_day (up to today) for current_month: at most 31 × 5 rows,
-- whatever the number of subscriptions.
with month_movements as (
    select
        movement_month.month,
        movement_month.movement_type,
        movement_month.amount,
        movement_month.movements,
        movement_month.customers
    from mart_mrr_month_movement as movement_month
    where movement_month.month < %(current_month)s::date
    union all
    -- the current month to date: its days in mart_mrr_day; a customer counts on the day of
    -- their first movement of the type in the month, so the sum is the distinct customers
    select
        %(current_month)s::date as month,
        movement_day.movement_type,
        sum(movement_day.amount) as amount,
        sum(movement_day.movements) as movements,
        sum(movement_day.month_first_customers) as customers
    from mart_mrr_day as movement_day
    where
        movement_day.date >= %(current_month)s::date
        and movement_day.date <= %(today)s::date
    group by movement_day.movement_type
),

before_range as (
    select
        coalesce(sum(month_movements.amount), 0) as mrr,
        coalesce(sum(
            case
                when month_movements.movement_type in ('new', 'reactivation')
                    then month_movements.movements
                when month_movements.movement_type = 'churn' then -month_movements.movements
                else 0
            end
        ), 0) as customers
    from month_movements
    where month_movements.month < %(first_month)s::date
),

report_months as (
    select series.month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as series (month)
),

month_totals as (
    select
        report_months.month,
        coalesce(sum(month_movements.amount) filter (
            where month_movements.movement_type = 'new'), 0) as new_mrr,
        coalesce(sum(month_movements.amount) filter (
            where month_movements.movement_type = 'expansion'), 0) as expansion_mrr,
        coalesce(sum(month_movements.amount) filter (
            where month_movements.movement_type = 'reactivation'), 0) as reactivation_mrr,
        coalesce(sum(month_movements.amount) filter (
            where month_movements.movement_type = 'contraction'), 0) as contraction_mrr,
        coalesce(sum(month_movements.amount) filter (
            where month_movements.movement_type = 'churn'), 0) as churn_mrr,
        coalesce(sum(month_movements.customers) filter (
            where month_movements.movement_type = 'new'), 0) as new_customers,
        coalesce(sum(month_movements.customers) filter (
            where month_movements.movement_type = 'expansion'), 0) as expansion_customers,
        coalesce(sum(month_movements.customers) filter (
            where month_movements.movement_type = 'reactivation'), 0) as reactivation_customers,
        coalesce(sum(month_movements.customers) filter (
            where month_movements.movement_type = 'contraction'), 0) as contraction_customers,
        coalesce(sum(month_movements.customers) filter (
            where month_movements.movement_type = 'churn'), 0) as churned_customers,
        coalesce(sum(
            case
                when month_movements.movement_type in ('new', 'reactivation')
                    then month_movements.movements
                when month_movements.movement_type = 'churn' then -month_movements.movements
                else 0
            end
        ), 0) as customer_change,
        coalesce(sum(month_movements.amount), 0) as net_new_mrr
    from report_months
    left join month_movements on month_movements.month = report_months.month
    group by report_months.month
),

running_totals as (
    select
        month_totals.*,
        before_range.mrr + sum(month_totals.net_new_mrr) over range_so_far as mrr,
        before_range.customers + sum(month_totals.customer_change) over range_so_far
            as customers
    from month_totals
    cross join before_range
    window range_so_far as (order by month_totals.month)
),

monthly_rates as (
    select
        running_totals.*,
        running_totals.mrr - running_totals.net_new_mrr as mrr_start,
        running_totals.customers - running_totals.customer_change as customers_start,
        (running_totals.new_mrr + running_totals.expansion_mrr + running_totals.reactivation_mrr)
        ::numeric / nullif(-(running_totals.contraction_mrr + running_totals.churn_mrr), 0)
            as quick_ratio,
        running_totals.mrr::numeric / nullif(running_totals.customers, 0) as arpa,
        running_totals.churned_customers::numeric
        / nullif(running_totals.customers - running_totals.customer_change, 0)
            as customer_churn_rate,
        -(running_totals.contraction_mrr + running_totals.churn_mrr)::numeric
        / nullif(running_totals.mrr - running_totals.net_new_mrr, 0) as gross_mrr_churn_rate,
        -(
            running_totals.contraction_mrr + running_totals.churn_mrr
            + running_totals.expansion_mrr + running_totals.reactivation_mrr
        )::numeric / nullif(running_totals.mrr - running_totals.net_new_mrr, 0)
            as net_mrr_churn_rate,
        running_totals.month < %(current_month)s::date as is_full_month
    from running_totals
),

range_averages as (
    select
        count(*) filter (where monthly_rates.is_full_month) as full_months,
        count(monthly_rates.arpa) filter (where monthly_rates.is_full_month) as arpa_months,
        count(monthly_rates.customer_churn_rate) filter (where monthly_rates.is_full_month)
            as churn_months,
        avg(monthly_rates.arpa) filter (where monthly_rates.is_full_month) as average_arpa,
        avg(monthly_rates.customer_churn_rate) filter (where monthly_rates.is_full_month)
            as average_churn
    from monthly_rates
)

select
    monthly_rates.month,
    monthly_rates.mrr_start,
    monthly_rates.mrr,
    12 * monthly_rates.mrr as arr,
    monthly_rates.customers_start,
    monthly_rates.customers,
    monthly_rates.new_mrr,
    monthly_rates.new_customers,
    monthly_rates.expansion_mrr,
    monthly_rates.expansion_customers,
    monthly_rates.reactivation_mrr,
    monthly_rates.reactivation_customers,
    monthly_rates.contraction_mrr,
    monthly_rates.contraction_customers,
    monthly_rates.churn_mrr,
    monthly_rates.churned_customers,
    monthly_rates.net_new_mrr,
    round(monthly_rates.quick_ratio, 4) as quick_ratio,
    round(monthly_rates.arpa, 2) as arpa,
    round(monthly_rates.customer_churn_rate, 6) as customer_churn_rate,
    round(monthly_rates.gross_mrr_churn_rate, 6) as gross_mrr_churn_rate,
    round(monthly_rates.net_mrr_churn_rate, 6) as net_mrr_churn_rate,
    range_averages.full_months::integer as full_months,
    range_averages.arpa_months::integer as arpa_months,
    range_averages.churn_months::integer as churn_months,
    round(range_averages.average_arpa, 2) as average_arpa,
    round(range_averages.average_churn, 6) as average_churn,
    round(range_averages.average_arpa / nullif(range_averages.average_churn, 0), 2) as ltv
from monthly_rates
cross join range_averages
order by monthly_rates.month
