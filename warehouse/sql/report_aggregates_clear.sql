-- purpose: empty the report aggregates before a full recompute (the full form of each mart in
--   warehouse/sql/marts/ fills them again in the same transaction)
-- grain: fact_month (month), fact_cohort_month (cohort month x month), fact_follow_month
--   (paying month x month), fact_last_payment_month (last paying month x last activity month),
--   fact_customer_lifetime (customer), fact_day (day). fact_customer_day is not emptied: its
--   full form upserts every customer's days and prunes the rest.
-- params: none
with cleared_months as (
    delete from fact_month returning month
),

cleared_cohort_months as (
    delete from fact_cohort_month returning month
),

cleared_follow_months as (
    delete from fact_follow_month returning month
),

cleared_last_payment_months as (
    delete from fact_last_payment_month returning last_payment_month
),

cleared_days as (
    delete from fact_day returning day
)

delete from fact_customer_lifetime
