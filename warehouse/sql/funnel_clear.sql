-- purpose: empty the channel funnel's tables before they are refilled (the full forms of
--   marts/fact_channel_funnel_users.sql, then marts/fact_channel_funnel_customers.sql and
--   marts/fact_channel_mrr_customers.sql); the
--   exclusive lock makes concurrent funnel deltas wait for the refill's commit
-- grain: fact_channel_funnel_day (day x channel x OS), fact_funnel_user (user),
--   fact_funnel_customer (customer), fact_channel_mrr_day (day x channel),
--   fact_mrr_channel_customer (customer)
-- params: none
truncate fact_channel_funnel_day, fact_funnel_user, fact_funnel_customer, fact_channel_mrr_day,
    fact_mrr_channel_customer
