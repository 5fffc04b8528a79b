-- purpose: empty the day- and month-grain MRR marts kept by the MRR facts' statements before
--   their full refresh (fact_mrr_change.sql's full form refills mart_mrr_price_day and
--   mart_mrr_price_month, fact_mrr_movement.sql's mart_mrr_day and mart_mrr_month_movement,
--   in the same transaction; their delta forms add to the stored rows, so the full forms
--   must start from none)
-- grain: mart_mrr_day (day × movement type), mart_mrr_price_day (day × price),
--   mart_mrr_month_movement (month × movement type), mart_mrr_price_month (month × price)
-- params: none
-- DELETEs, not a TRUNCATE: the full refresh holds the MRR lock, and pages keep reading the
-- previous rows until it commits.
with cleared_price_days as (
    delete from mart_mrr_price_day returning date
),

cleared_price_months as (
    delete from mart_mrr_price_month returning month
),

cleared_months as (
    delete from mart_mrr_month_movement returning month
)

delete from mart_mrr_day
