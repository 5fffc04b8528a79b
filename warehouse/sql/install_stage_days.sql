-- purpose: the first and last day of the staged installs (the days dim_date must hold)
-- grain: one row for the batch
-- parameters: none
select
    min(date_sk) as first_day,
    max(date_sk) as last_day
from install_stage
