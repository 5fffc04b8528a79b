-- purpose: MRR movements per month × movement type, from fact_mrr_movement. Full form:
--   all_months true; delta form: the given months and the months whose movements this
--   transaction wrote or deleted (fact_mrr_movement.sql sets them as
--   stripe_dwh.mrr_changed_movement_months); each month is recomputed whole
-- grain: one row per month × movement type with movements
-- params: all_months (bool), months (date[]: first days of months; ignored when all_months)
-- triggered by: any change of fact_mrr_movement
with month_movements as (
    select movement.month, movement.movement_type, movement.amount, movement.customer_id
    from fact_mrr_movement as movement
    where
        %(all_months)s
        or movement.month = any(%(months)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_movement_months', true), ',')::date[])
),

month_totals as (
    select
        month_movements.month,
        month_movements.movement_type,
        sum(month_movements.amount) as amount,
        count(*) as movements,
        count(distinct month_movements.customer_id) as customers
    from month_movements
    group by month_movements.month, month_movements.movement_type
),

upserted_totals as (
    insert into mart_mrr_month_movement (month, movement_type, amount, movements, customers)
    select
        month_totals.month,
        month_totals.movement_type,
        month_totals.amount,
        month_totals.movements,
        month_totals.customers
    from month_totals
    order by month_totals.month, month_totals.movement_type
    on conflict (month, movement_type) do update set
        amount = excluded.amount,
        movements = excluded.movements,
        customers = excluded.customers
    where (
        mart_mrr_month_movement.amount, mart_mrr_month_movement.movements,
        mart_mrr_month_movement.customers
    ) is distinct from (excluded.amount, excluded.movements, excluded.customers)
    returning mart_mrr_month_movement.month
)

delete from mart_mrr_month_movement as stale
where
    (
        %(all_months)s
        or stale.month = any(%(months)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_movement_months', true), ',')::date[])
    )
    and not exists (
        select 1
        from month_totals
        where month_totals.month = stale.month and month_totals.movement_type = stale.movement_type
    )
