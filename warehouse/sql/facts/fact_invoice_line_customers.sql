-- purpose: the customers whose invoice lines name these prices but were stored before the
--   price was known (not counted as recurring yet): a price's sync refreshes them
-- grain: one row per customer
-- params: price_ids (text[])
select distinct line.customer_id
from fact_invoice_line as line
where line.price_id = any(%(price_ids)s::text[]) and not line.is_recurring
