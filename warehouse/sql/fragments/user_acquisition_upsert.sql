-- purpose: fact_user_acquisition's upsert from a batch of installs: each user's first install
--   of the batch replaces the stored one only when earlier (fragments/
--   user_acquisition_conflict.sql); rows are upserted in user order so that concurrent
--   batches lock them in the same order
-- grain: one row per user_id
-- params: none; reads the relation first_installs (user_id, install_id, installed_at, date_sk,
--   channel_id, client_id; at most one row per user_id), which the including statement defines
-- included by: marts/fact_user_acquisition.sql, install_stage_facts.sql
--   (warehouse/sql_files.py, `-- include:`)
insert into fact_user_acquisition as acquisition (
    user_id, install_id, installed_at, date_sk, channel_id, client_id
)
select user_id, install_id, installed_at, date_sk, channel_id, client_id
from first_installs
order by user_id
-- include: fragments/user_acquisition_conflict.sql
