-- purpose: keep fact_install_day: installs per day, channel and OS
-- grain: one row per (date_sk, channel_id, os_name) with installs
-- triggered by: installs inserted (change set kind installs: their install ids); the write
--   paths apply the same delta from their insert's RETURNING rows (install_stage_facts.sql,
--   install_upsert_one.sql): keep the three in step
-- params: install_ids (text[]; the delta form's new installs), all_installs (bool)
-- forms: delta = the new installs (all_installs false) are added to their rows; full = every
--   install (all_installs true), after install_aggregates_clear emptied the table
-- The OS is the os_name of the install's client (dim_client). Rows are incremented in key
-- order so that concurrent batches lock them in the same order.
with install_days as (
    select install.date_sk, install.channel_id, client.os_name, count(*)::integer as installs
    from fact_install as install
    inner join dim_client as client on client.client_sk = install.client_id
    where %(all_installs)s or install.install_id = any(%(install_ids)s::text[])
    group by install.date_sk, install.channel_id, client.os_name
)

insert into fact_install_day as install_day (date_sk, channel_id, os_name, installs)
select date_sk, channel_id, os_name, installs
from install_days
order by date_sk, channel_id, os_name
on conflict (date_sk, channel_id, os_name) do update
    set installs = install_day.installs + excluded.installs
