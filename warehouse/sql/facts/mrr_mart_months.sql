-- purpose: what the MRR marts' delta forms recompute for some customers, read before and
--   after the customers' refresh in one round trip: the (month, cohort month) pairs of their
--   MRR movements (mart_mrr_month_movement, mart_mrr_cohort) and the months of their MRR
--   changes by price (mart_mrr_price_month, cohort_month null)
-- grain: one row per source × month × cohort month
-- params: customer_ids (text[])
with movement_months as (
    select distinct movement.month, cohorts.cohort_month
    from fact_mrr_movement as movement
    inner join (
        select first_movement.customer_id, min(first_movement.month) as cohort_month
        from fact_mrr_movement as first_movement
        where first_movement.customer_id = any(%(customer_ids)s::text[])
        group by first_movement.customer_id
    ) as cohorts on cohorts.customer_id = movement.customer_id
    where movement.customer_id = any(%(customer_ids)s::text[])
),

change_months as (
    select distinct change.month
    from fact_mrr_change as change
    where change.customer_id = any(%(customer_ids)s::text[])
)

select 'movement' as source, movement_months.month, movement_months.cohort_month
from movement_months
union all
select 'change' as source, change_months.month, null::date as cohort_month
from change_months
