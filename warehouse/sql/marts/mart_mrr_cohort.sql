-- purpose: MRR cohorts (cohort = month of first MRR): per cohort and month, the change of the
--   cohort's month-end MRR, of its gross retained MRR (each customer's MRR capped at their
--   cohort-month MRR) and of its customers with MRR; running sums over the months give the
--   values. From mart_mrr_customer_month. Full form: all_cohorts true; delta form: the given
--   cohorts and the cohorts of the rows this transaction wrote or deleted, before and after
--   (mart_mrr_customer_month.sql sets them as stripe_dwh.mrr_changed_cohorts); each cohort is
--   recomputed whole
-- grain: one row per cohort month × month in which the cohort changed
-- params: all_cohorts (bool), cohorts (date[]; ignored when all_cohorts)
-- triggered by: any change of mart_mrr_customer_month
with cohort_customer_months as (
    select
        customer_month.cohort_month,
        customer_month.month,
        customer_month.mrr_start,
        customer_month.mrr_end,
        customer_month.cohort_mrr
    from mart_mrr_customer_month as customer_month
    where
        %(all_cohorts)s
        or customer_month.cohort_month
        = any(%(cohorts)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_cohorts', true), ',')::date[])
),

cohort_changes as (
    select
        cohort_customer_months.cohort_month,
        cohort_customer_months.month,
        sum(cohort_customer_months.mrr_end - cohort_customer_months.mrr_start) as mrr_change,
        sum(
            least(cohort_customer_months.mrr_end, cohort_customer_months.cohort_mrr)
            - least(cohort_customer_months.mrr_start, cohort_customer_months.cohort_mrr)
        ) as gross_mrr_change,
        sum(
            (cohort_customer_months.mrr_end > 0)::integer
            - (cohort_customer_months.mrr_start > 0)::integer
        ) as customers_change
    from cohort_customer_months
    group by cohort_customer_months.cohort_month, cohort_customer_months.month
    having
        bool_or(cohort_customer_months.month = cohort_customer_months.cohort_month)
        or sum(abs(cohort_customer_months.mrr_end - cohort_customer_months.mrr_start)) <> 0
),

upserted_changes as (
    insert into mart_mrr_cohort (
        cohort_month, month, mrr_change, gross_mrr_change, customers_change
    )
    select
        cohort_changes.cohort_month,
        cohort_changes.month,
        cohort_changes.mrr_change,
        cohort_changes.gross_mrr_change,
        cohort_changes.customers_change
    from cohort_changes
    order by cohort_changes.cohort_month, cohort_changes.month
    on conflict (cohort_month, month) do update set
        mrr_change = excluded.mrr_change,
        gross_mrr_change = excluded.gross_mrr_change,
        customers_change = excluded.customers_change
    where (
        mart_mrr_cohort.mrr_change, mart_mrr_cohort.gross_mrr_change,
        mart_mrr_cohort.customers_change
    ) is distinct from (
        excluded.mrr_change, excluded.gross_mrr_change, excluded.customers_change
    )
    returning mart_mrr_cohort.cohort_month
)

delete from mart_mrr_cohort as stale
where
    (
        %(all_cohorts)s
        or stale.cohort_month = any(%(cohorts)s::date[] || string_to_array(current_setting('stripe_dwh.mrr_changed_cohorts', true), ',')::date[])
    )
    and not exists (
        select 1
        from cohort_changes
        where cohort_changes.cohort_month = stale.cohort_month and cohort_changes.month = stale.month
    )
