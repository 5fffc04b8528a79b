-- purpose: the months of some customers' MRR changes by price (mart_mrr_price_month's delta
--   form recomputes these, read before and after the customers' refresh)
-- grain: one row per month
-- params: customer_ids (text[])
select distinct change.month
from fact_mrr_change as change
where change.customer_id = any(%(customer_ids)s::text[])
