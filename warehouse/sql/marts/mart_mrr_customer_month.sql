-- purpose: MRR per customer per month end, from fact_mrr_movement. Full form: all_customers
--   true (every row recomputed, rows of customers without movements deleted); delta form:
--   the customers whose movements changed
-- grain: one row per customer per month from the month of their first movement to the month
--   of their latest movement
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers)
-- delta form: runs after fact_mrr_movement.sql in the same transaction, and does nothing
--   when that wrote or deleted no movement (stripe_dwh.mrr_changed_movement_months empty): a
--   customer's months follow from their movements alone
-- answers: the cohort months of the rows it wrote or deleted (before and after), also set for
--   the transaction as stripe_dwh.mrr_changed_cohorts (comma-separated; mart_mrr_cohort reads it)
-- triggered by: any change of fact_mrr_movement (the flush passes the customers it refreshed)
with customer_movements as (
    select movement.customer_id, movement.date, movement.month, movement.mrr_after
    from fact_mrr_movement as movement
    where
        %(all_customers)s
        or (
            movement.customer_id = any(%(customer_ids)s::text[])
            -- the delta form has work only if fact_mrr_movement.sql changed rows
            and current_setting('stripe_dwh.mrr_changed_movement_months', true) <> ''
        )
),

customer_spans as (
    select
        customer_movements.customer_id,
        min(customer_movements.month) as first_month,
        max(customer_movements.month) as last_month
    from customer_movements
    group by customer_movements.customer_id
),

month_ends as (
    select distinct on (customer_movements.customer_id, customer_movements.month)
        customer_movements.customer_id,
        customer_movements.month,
        customer_movements.mrr_after
    from customer_movements
    order by customer_movements.customer_id, customer_movements.month, customer_movements.date desc
),

customer_months as (
    select
        customer_spans.customer_id,
        customer_spans.first_month as cohort_month,
        series.month::date as month,
        month_ends.mrr_after
    from customer_spans
    cross join lateral generate_series(
        customer_spans.first_month, customer_spans.last_month, interval '1 month'
    ) as series (month)
    left join month_ends
        on month_ends.customer_id = customer_spans.customer_id
        and month_ends.month = series.month::date
),

filled_months as (
    select
        customer_months.customer_id,
        customer_months.cohort_month,
        customer_months.month,
        -- carry the latest month end forward over months without movements
        (array_agg(customer_months.mrr_after) filter (
            where customer_months.mrr_after is not null
        ) over customer_history) as month_ends_so_far
    from customer_months
    window customer_history as (
        partition by customer_months.customer_id order by customer_months.month
    )
),

current_rows as (
    select
        filled_months.customer_id,
        filled_months.month,
        filled_months.cohort_month,
        filled_months.month_ends_so_far[cardinality(filled_months.month_ends_so_far)] as mrr_end
    from filled_months
),

final_rows as (
    select
        current_rows.customer_id,
        current_rows.month,
        current_rows.cohort_month,
        coalesce(lag(current_rows.mrr_end) over customer_history, 0) as mrr_start,
        current_rows.mrr_end,
        first_value(current_rows.mrr_end) over customer_history as cohort_mrr,
        lead(current_rows.month) over customer_history as next_month
    from current_rows
    window customer_history as (
        partition by current_rows.customer_id order by current_rows.month
    )
),

upserted_rows as (
    insert into mart_mrr_customer_month (
        customer_id, month, cohort_month, mrr_start, mrr_end, cohort_mrr, next_month
    )
    select
        final_rows.customer_id,
        final_rows.month,
        final_rows.cohort_month,
        final_rows.mrr_start,
        final_rows.mrr_end,
        final_rows.cohort_mrr,
        final_rows.next_month
    from final_rows
    order by final_rows.customer_id, final_rows.month
    on conflict (customer_id, month) do update set
        cohort_month = excluded.cohort_month,
        mrr_start = excluded.mrr_start,
        mrr_end = excluded.mrr_end,
        cohort_mrr = excluded.cohort_mrr,
        next_month = excluded.next_month
    where (
        mart_mrr_customer_month.cohort_month, mart_mrr_customer_month.mrr_start,
        mart_mrr_customer_month.mrr_end, mart_mrr_customer_month.cohort_mrr,
        mart_mrr_customer_month.next_month
    ) is distinct from (
        excluded.cohort_month, excluded.mrr_start, excluded.mrr_end, excluded.cohort_mrr,
        excluded.next_month
    )
    returning mart_mrr_customer_month.customer_id, mart_mrr_customer_month.cohort_month
),

deleted_rows as (
    delete from mart_mrr_customer_month as stale
    where
        (
            %(all_customers)s
            or (
                stale.customer_id = any(%(customer_ids)s::text[])
                and current_setting('stripe_dwh.mrr_changed_movement_months', true) <> ''
            )
        )
        and not exists (
            select 1
            from final_rows
            where final_rows.customer_id = stale.customer_id and final_rows.month = stale.month
        )
    returning stale.cohort_month
),

-- the cohorts of the rows written (their new cohort month, and the cohort month their
-- customer had before: this statement's snapshot still holds the old rows) or deleted
changed_cohorts as (
    select upserted_rows.cohort_month from upserted_rows
    union all
    select deleted_rows.cohort_month from deleted_rows
    union all
    select previous.cohort_month
    from mart_mrr_customer_month as previous
    where
        not %(all_customers)s
        and previous.customer_id = any(%(customer_ids)s::text[])
        and previous.customer_id in (select upserted_rows.customer_id from upserted_rows)
)

-- for mart_mrr_cohort's delta form later in the transaction
select set_config(
    'stripe_dwh.mrr_changed_cohorts',
    coalesce(string_agg(distinct to_char(changed_cohorts.cohort_month, 'YYYY-MM-DD'), ','), ''),
    true
) as changed_cohorts
from changed_cohorts
