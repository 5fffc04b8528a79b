-- purpose: empty MRR by channel (fact_channel_mrr_day, fact_mrr_channel_customer) before the
--   full form of marts/fact_channel_mrr_customers.sql refills it, after a full refresh of the
--   MRR movements; the exclusive lock makes concurrent deltas wait for the refill's commit
-- grain: fact_channel_mrr_day (day x channel), fact_mrr_channel_customer (customer)
-- params: none
truncate fact_channel_mrr_day, fact_mrr_channel_customer
