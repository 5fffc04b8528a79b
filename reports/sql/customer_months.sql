-- purpose: one customer's money per month
-- grain: one row per month with any movement of the customer, oldest first
-- params: customer_id (Stripe id)
select
    customer_month.month,
    customer_month.gross,
    customer_month.refunds,
    customer_month.disputes,
    customer_month.net,
    customer_month.charge_count,
    customer_month.failed_charge_count,
    customer_month.net_to_date
from fact_customer_month as customer_month
where customer_month.customer_id = %(customer_id)s
order by customer_month.month
