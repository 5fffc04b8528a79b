-- purpose: keep fact_month: the whole business per month (paying, new, retained, returning and
--   churned customers; money in minor units of the settlement currency)
-- grain: one row per calendar month (reporting time zone)
-- triggered by: a customer's movements changing (change set kind customer_facts)
-- params: customer_ids (text[]; the delta form's customers), all_customers (bool), subtract_previous (bool)
-- forms: delta = some customers (all_customers false, subtract_previous true): adds, as
--   `x = x + delta`, their months as int_customer_month_changes computes them now minus as
--   fact_customer_month stored them (so it runs before fact_customer_month's own refresh);
--   full = everyone (all_customers true, subtract_previous false), right after the aggregates
--   were emptied (report_aggregates_clear)
-- The row lock of the update makes concurrent deltas of other customers add up instead of
-- overwriting each other; rows are written in key order so they lock shared rows in one order.
-- Deltas that change nothing are not written, so a row may be left all zero (= no activity).
with changed_customer_months as (
    select
        changes.sign, changes.month, changes.first_payment_month, changes.is_paying,
        changes.paid_previous_month, changes.pays_next_month, changes.gross, changes.refunds,
        changes.disputes, changes.net, changes.fees, changes.charge_count,
        changes.failed_charge_count
    from int_customer_month_changes as changes
    where
        (%(all_customers)s or changes.customer_id = any(%(customer_ids)s::text[]))
        and (changes.sign = 1 or %(subtract_previous)s)
),

-- what each customer-month adds to the months: its own month, and a churned customer to
-- the month after a paying month not followed by another paying month
month_contributions as (
    select
        sign,
        month,
        is_paying::integer as paying_customers,
        (is_paying and first_payment_month = month)::integer as new_customers,
        (is_paying and paid_previous_month)::integer as retained_customers,
        (is_paying and first_payment_month < month and not paid_previous_month)::integer
            as returning_customers,
        0 as churned_customers,
        gross,
        refunds,
        disputes,
        net,
        fees,
        charge_count,
        failed_charge_count
    from changed_customer_months
    union all
    select
        sign,
        (month + interval '1 month')::date as month,
        0 as paying_customers,
        0 as new_customers,
        0 as retained_customers,
        0 as returning_customers,
        1 as churned_customers,
        0 as gross,
        0 as refunds,
        0 as disputes,
        0 as net,
        0 as fees,
        0 as charge_count,
        0 as failed_charge_count
    from changed_customer_months
    where is_paying and not pays_next_month
),

month_deltas as (
    select
        month,
        sum(sign * paying_customers) as paying_customers,
        sum(sign * new_customers) as new_customers,
        sum(sign * retained_customers) as retained_customers,
        sum(sign * returning_customers) as returning_customers,
        sum(sign * churned_customers) as churned_customers,
        sum(sign * gross) as gross,
        sum(sign * refunds) as refunds,
        sum(sign * disputes) as disputes,
        sum(sign * net) as net,
        sum(sign * fees) as fees,
        sum(sign * charge_count) as charge_count,
        sum(sign * failed_charge_count) as failed_charge_count
    from month_contributions
    group by month
)

insert into fact_month (
    month, paying_customers, new_customers, retained_customers, returning_customers,
    churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
)
select
    month, paying_customers, new_customers, retained_customers, returning_customers,
    churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
from month_deltas
where (
    paying_customers, new_customers, retained_customers, returning_customers,
    churned_customers, gross, refunds, disputes, net, fees, charge_count, failed_charge_count
) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
order by month
on conflict (month) do update set
    paying_customers = fact_month.paying_customers + excluded.paying_customers,
    new_customers = fact_month.new_customers + excluded.new_customers,
    retained_customers = fact_month.retained_customers + excluded.retained_customers,
    returning_customers = fact_month.returning_customers + excluded.returning_customers,
    churned_customers = fact_month.churned_customers + excluded.churned_customers,
    gross = fact_month.gross + excluded.gross,
    refunds = fact_month.refunds + excluded.refunds,
    disputes = fact_month.disputes + excluded.disputes,
    net = fact_month.net + excluded.net,
    fees = fact_month.fees + excluded.fees,
    charge_count = fact_month.charge_count + excluded.charge_count,
    failed_charge_count = fact_month.failed_charge_count + excluded.failed_charge_count
