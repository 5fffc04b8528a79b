-- purpose: which of these customers have subscription invoices (stored lines, or invoices
--   dj-stripe holds), i.e. may have MRR to refresh
-- grain: one row per customer
-- params: customer_ids (text[])
select distinct line.customer_id
from fact_invoice_line as line
where line.customer_id = any(%(customer_ids)s::text[])
union
select invoice.customer_id
from djstripe_invoice as invoice
where invoice.customer_id = any(%(customer_ids)s::text[])
