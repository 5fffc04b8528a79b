-- purpose: keep fact_cohort_month: per cohort (month of the first succeeded charge) and
--   activity month, the cohort's paying customers and net
-- grain: one row per cohort month per activity month
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool), subtract_previous (bool)
-- forms: delta = some customers (all_customers false, subtract_previous true): adds, as
--   `x = x + delta`, their months as int_customer_month_changes computes them now minus as
--   fact_customer_month stored them (so it runs before fact_customer_month's own refresh);
--   full = everyone (all_customers true, subtract_previous false), right after the aggregates
--   were emptied (report_aggregates_clear)
with changed_customer_months as (
    select changes.sign, changes.first_payment_month, changes.month, changes.is_paying, changes.net
    from int_customer_month_changes as changes
    where
        (%(all_customers)s or changes.customer_id = any(%(customer_ids)s::text[]))
        and (changes.sign = 1 or %(subtract_previous)s)
        and changes.first_payment_month is not null
),

cohort_month_deltas as (
    select
        first_payment_month as cohort_month,
        month,
        sum(sign * is_paying::integer) as paying_customers,
        sum(sign * net) as net
    from changed_customer_months
    group by first_payment_month, month
)

insert into fact_cohort_month (cohort_month, month, paying_customers, net)
select cohort_month, month, paying_customers, net
from cohort_month_deltas
where (paying_customers, net) <> (0, 0)
order by cohort_month, month
on conflict (cohort_month, month) do update set
    paying_customers = fact_cohort_month.paying_customers + excluded.paying_customers,
    net = fact_cohort_month.net + excluded.net
