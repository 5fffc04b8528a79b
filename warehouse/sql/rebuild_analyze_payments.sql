-- purpose: refresh planner statistics for the tables a rebuild has just filled, inside its
--          transaction (ANALYZE sees the uncommitted rows). Without it, statistics taken while
--          the tables were empty can plan the placeholder inserts as quadratic nested loops.
-- grain: n/a (maintenance statement)
analyze dim_customer, dim_payment_method, fact_transaction
