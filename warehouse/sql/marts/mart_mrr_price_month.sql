-- purpose: MRR by price per month, from fact_mrr_change: the month's change of each price's
--   MRR and of its subscriptions with MRR > 0. Full form: all_months true; delta form: the
--   given months and the months whose changes this transaction wrote or deleted
--   (fact_mrr_change.sql sets them as stripe_dwh.mrr_changed_change_months); each month is
--   recomputed whole
-- grain: one row per price × month with a change
-- params: all_months (bool), months (date[]: first days of months; ignored when all_months)
-- triggered by: any change of fact_mrr_change
-- A change moves a subscription into a price's count when its MRR at the price goes from
-- <= 0 to > 0 (mrr_after - amount is the MRR before), and out of it the other way round.
with month_changes as (
    select
        change.price_id,
        change.month,
        change.amount,
        change.mrr_after,
        change.mrr_after - change.amount as mrr_before
    from fact_mrr_change as change
    where
        %(all_months)s
        or change.month = any(%(months)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_change_months', true), ',')::date[])
),

price_months as (
    select
        month_changes.price_id,
        month_changes.month,
        sum(month_changes.amount) as mrr_change,
        count(*) filter (
            where month_changes.mrr_after > 0 and month_changes.mrr_before <= 0
        ) - count(*) filter (
            where month_changes.mrr_after <= 0 and month_changes.mrr_before > 0
        ) as subscriptions_change
    from month_changes
    group by month_changes.price_id, month_changes.month
),

upserted_months as (
    insert into mart_mrr_price_month (price_id, month, mrr_change, subscriptions_change)
    select
        price_months.price_id,
        price_months.month,
        price_months.mrr_change,
        price_months.subscriptions_change
    from price_months
    order by price_months.month, price_months.price_id
    on conflict (price_id, month) do update set
        mrr_change = excluded.mrr_change,
        subscriptions_change = excluded.subscriptions_change
    where (mart_mrr_price_month.mrr_change, mart_mrr_price_month.subscriptions_change)
        is distinct from (excluded.mrr_change, excluded.subscriptions_change)
    returning mart_mrr_price_month.month
)

delete from mart_mrr_price_month as stale
where
    (
        %(all_months)s
        or stale.month = any(%(months)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_change_months', true), ',')::date[])
    )
    and not exists (
        select 1
        from price_months
        where price_months.price_id = stale.price_id and price_months.month = stale.month
    )
