-- purpose: keep fact_follow_month: the customers paying in a month, followed into every later
--   month (how many of them pay then, and their net)
-- grain: one row per paying month per later (or same) activity month
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool), subtract_previous (bool)
-- forms: delta = some customers (all_customers false, subtract_previous true): adds, as
--   `x = x + delta`, their months as int_customer_month_changes computes them now minus as
--   fact_customer_month stored them (so it runs before fact_customer_month's own refresh);
--   full = everyone (all_customers true, subtract_previous false), right after the aggregates
--   were emptied (report_aggregates_clear)
with changed_customer_months as (
    select changes.sign, changes.customer_id, changes.month, changes.is_paying, changes.net
    from int_customer_month_changes as changes
    where
        (%(all_customers)s or changes.customer_id = any(%(customer_ids)s::text[]))
        and (changes.sign = 1 or %(subtract_previous)s)
),

-- each paying month of a customer, with that customer's months from then on
follow_month_deltas as (
    select
        paid.month as paid_month,
        later.month,
        sum(later.sign * later.is_paying::integer) as paying_customers,
        sum(later.sign * later.net) as net
    from changed_customer_months as paid
    inner join changed_customer_months as later
        on later.sign = paid.sign and later.customer_id = paid.customer_id and later.month >= paid.month
    where paid.is_paying
    group by paid.month, later.month
)

insert into fact_follow_month (paid_month, month, paying_customers, net)
select paid_month, month, paying_customers, net
from follow_month_deltas
where (paying_customers, net) <> (0, 0)
order by paid_month, month
on conflict (paid_month, month) do update set
    paying_customers = fact_follow_month.paying_customers + excluded.paying_customers,
    net = fact_follow_month.net + excluded.net
