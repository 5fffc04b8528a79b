-- purpose: a copy of fact_customer_month with previous_payment_month, the customer's previous
--   month with a succeeded charge (null for the first one), as refresh_customer_months could
--   store it (it already recomputes all months of a customer in one statement: one lag())
-- grain: one row per customer per calendar month with any movement
drop table if exists bench_experiment.fact_customer_month;
create table bench_experiment.fact_customer_month as
with paying_months as (
    select
        customer_month_sk,
        lag(month) over (partition by customer_id order by month) as previous_payment_month
    from public.fact_customer_month
    where charge_count > 0
)
select customer_month.*, paying_months.previous_payment_month
from public.fact_customer_month as customer_month
left join paying_months on paying_months.customer_month_sk = customer_month.customer_month_sk;
create index on bench_experiment.fact_customer_month (month)
    include (customer_id, charge_count, net, first_payment_month, previous_payment_month);
analyze bench_experiment.fact_customer_month;
