-- purpose: each month's paying customers split into new, retained and returning, plus churned
-- grain: one row per calendar month (reporting time zone), first_month to last_month
-- params: first_month, last_month (first days of months)
-- new: first succeeded charge in the month; retained: paid the month before too;
-- returning: paid before, but not the month before; churned: paid the month before, not this one.
with report_months as (
    select generated_month::date as month
    from generate_series(
        %(first_month)s::date, %(last_month)s::date, interval '1 month'
    ) as generated_month
),

paying_customer_months as (
    select customer_month.customer_id, customer_month.month, customer_month.first_payment_month
    from fact_customer_month as customer_month
    where customer_month.charge_count > 0
        and customer_month.month between (%(first_month)s::date - interval '1 month')::date
        and %(last_month)s::date
),

classified_customer_months as (
    select
        this_month.month,
        case
            when this_month.first_payment_month = this_month.month then 'new'
            when previous_month.customer_id is not null then 'retained'
            else 'returning'
        end as customer_kind
    from paying_customer_months as this_month
    left join paying_customer_months as previous_month
        on previous_month.customer_id = this_month.customer_id
        and previous_month.month = (this_month.month - interval '1 month')::date
    where this_month.month >= %(first_month)s::date
),

monthly_kinds as (
    select
        month,
        count(*) filter (where customer_kind = 'new') as new_customers,
        count(*) filter (where customer_kind = 'retained') as retained_customers,
        count(*) filter (where customer_kind = 'returning') as returning_customers
    from classified_customer_months
    group by month
),

monthly_churned as (
    select
        (previous_month.month + interval '1 month')::date as month,
        count(*) as churned_customers
    from paying_customer_months as previous_month
    left join paying_customer_months as this_month
        on this_month.customer_id = previous_month.customer_id
        and this_month.month = (previous_month.month + interval '1 month')::date
    where this_month.customer_id is null
    group by previous_month.month
)

select
    report_months.month,
    coalesce(monthly_kinds.new_customers, 0)::integer as new_customers,
    coalesce(monthly_kinds.retained_customers, 0)::integer as retained_customers,
    coalesce(monthly_kinds.returning_customers, 0)::integer as returning_customers,
    coalesce(monthly_churned.churned_customers, 0)::integer as churned_customers
from report_months
left join monthly_kinds on monthly_kinds.month = report_months.month
left join monthly_churned on monthly_churned.month = report_months.month
order by report_months.month
