-- purpose: the rule of fact_user_acquisition, the ON CONFLICT clause of its every upsert: a
--   user's stored first install is replaced only by an earlier one (earlier installed_at, ties
--   broken by the smaller install_id). ON CONFLICT DO UPDATE re-checks its WHERE against the
--   latest committed row, so under concurrent loads the earliest install wins whichever
--   transaction commits first.
-- grain: one row per user_id
-- params: none; ends an `insert into fact_user_acquisition as acquisition (...)`
-- included by: fragments/user_acquisition_upsert.sql (the batch forms), install_upsert_one.sql
--   (one install: no sort) (warehouse/sql_files.py, `-- include:`)
on conflict (user_id) do update
    set
        install_id = excluded.install_id,
        installed_at = excluded.installed_at,
        date_sk = excluded.date_sk,
        channel_id = excluded.channel_id,
        client_id = excluded.client_id
    where (excluded.installed_at, excluded.install_id)
        < (acquisition.installed_at, acquisition.install_id)
