-- purpose: empty the day-grain MRR marts before the MRR facts' full refresh
--   (fact_mrr_change.sql's full form refills mart_mrr_price_day, fact_mrr_movement.sql's
--   mart_mrr_day, in the same transaction; their delta forms add to the stored rows, so the
--   full forms must start from none)
-- grain: mart_mrr_day (day × movement type), mart_mrr_price_day (day × price)
-- params: none
-- DELETEs, not a TRUNCATE: the full refresh holds the MRR lock, and pages keep reading the
-- previous rows until it commits.
with cleared_price_days as (
    delete from mart_mrr_price_day returning date
)

delete from mart_mrr_day
