-- purpose: apply MRR changes to fact_channel_mrr_day's cells: the changes summed per (date,
--   channel), the cells whose sums are not 0 incremented (inserted when new) in key order, so
--   that concurrent deltas lock them in the same order
-- grain: fact_channel_mrr_day: one row per (date, channel_id)
-- params: none; reads the relation mrr_cell_changes (date, channel_id, mrr_change,
--   customers_change: one row per change) that the including statement defines before it,
--   and defines mrr_cell_sums and mrr_cells (returning one row per cell changed); two CTEs of
--   a WITH list, followed by more (it ends with a comma)
-- included by: marts/fact_channel_funnel_users.sql (the moved users' customers' MRR),
--   marts/fact_channel_mrr_customers.sql (the changed customers' MRR)
--   (warehouse/sql_files.py, `-- include:`)
mrr_cell_sums as (
    select
        date,
        channel_id,
        sum(mrr_change)::bigint as mrr_change,
        sum(customers_change)::integer as customers_change
    from mrr_cell_changes
    group by date, channel_id
    having sum(mrr_change) <> 0 or sum(customers_change) <> 0
),

mrr_cells as (
    insert into fact_channel_mrr_day as mrr_day (date, channel_id, mrr_change, customers_change)
    select date, channel_id, mrr_change, customers_change
    from mrr_cell_sums
    order by date, channel_id
    on conflict (date, channel_id) do update
        set
            mrr_change = mrr_day.mrr_change + excluded.mrr_change,
            customers_change = mrr_day.customers_change + excluded.customers_change
    returning mrr_day.date
),
