-- purpose: the months and cohort months of some customers' MRR movements (the marts' delta
--   form recomputes these, read before and after the customers' refresh)
-- grain: one row per (month, cohort month) pair of the customers
-- params: customer_ids (text[])
select distinct movement.month, cohorts.cohort_month
from fact_mrr_movement as movement
inner join (
    select first_movement.customer_id, min(first_movement.month) as cohort_month
    from fact_mrr_movement as first_movement
    where first_movement.customer_id = any(%(customer_ids)s::text[])
    group by first_movement.customer_id
) as cohorts on cohorts.customer_id = movement.customer_id
where movement.customer_id = any(%(customer_ids)s::text[])
