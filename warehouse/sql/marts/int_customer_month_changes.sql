-- purpose: both versions of every customer's months, for delta maintenance of the shared
--   aggregates: sign +1 = as int_customer_months computes them now, -1 = as fact_customer_month
--   still stores them; with each month's place in the customer's paying history
-- grain: one row per version per customer per month
-- params: none (a view; filter it on customer_id, which every window partitions by)
-- A full refresh reads only the +1 rows (of everyone).
create or replace view int_customer_month_changes as
with customer_month_versions as (
    select
        1 as sign, current_month.customer_id, current_month.month,
        current_month.first_payment_month, current_month.gross, current_month.refunds,
        current_month.disputes, current_month.net, current_month.fees,
        current_month.charge_count, current_month.failed_charge_count
    from int_customer_months as current_month
    union all
    select
        -1 as sign, stored.customer_id, stored.month, stored.first_payment_month, stored.gross,
        stored.refunds, stored.disputes, stored.net, stored.fees, stored.charge_count,
        stored.failed_charge_count
    from fact_customer_month as stored
)

select
    sign,
    customer_id,
    month,
    first_payment_month,
    gross,
    refunds,
    disputes,
    net,
    fees,
    charge_count,
    failed_charge_count,
    charge_count > 0 as is_paying,
    coalesce(
        lag(month) over customer_history = (month - interval '1 month')::date
        and lag(charge_count) over customer_history > 0,
        false
    ) as paid_previous_month,
    coalesce(
        lead(month) over customer_history = (month + interval '1 month')::date
        and lead(charge_count) over customer_history > 0,
        false
    ) as pays_next_month
from customer_month_versions
window customer_history as (partition by customer_id, sign order by month)
