-- purpose: empty the install pre-aggregates before they are refilled from the install fact;
--          the exclusive lock makes concurrent install writers wait for the refill's commit
-- grain: fact_user_acquisition (one row per user_id) and fact_install_day (day x channel x OS)
truncate fact_user_acquisition, fact_install_day
