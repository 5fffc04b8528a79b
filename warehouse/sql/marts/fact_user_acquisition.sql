-- purpose: keep fact_user_acquisition: each user's first install (earliest installed_at, ties
--   broken by the smaller install_id), what the channel reports attribute a user to
-- grain: one row per user_id
-- triggered by: installs inserted (change set kind installs: their install ids); the write
--   paths apply the same delta from their insert's RETURNING rows (install_stage_facts.sql,
--   install_upsert_one.sql): keep the three in step
-- params: install_ids (text[]; the delta form's new installs), all_installs (bool)
-- forms: delta = the new installs (all_installs false): each of their users' earliest new
--   install replaces the stored one when earlier; full = every install (all_installs true),
--   after install_aggregates_clear emptied the table
-- Under concurrent loads, ON CONFLICT DO UPDATE re-checks its WHERE against the latest
-- committed row, so the earliest install wins whichever transaction commits first; rows are
-- upserted in key order so that concurrent batches lock them in the same order.
with first_installs as (
    select distinct on (install.user_id)
        install.user_id,
        install.install_id,
        install.installed_at,
        install.date_sk,
        install.channel_id,
        install.client_id
    from fact_install as install
    where %(all_installs)s or install.install_id = any(%(install_ids)s::text[])
    order by install.user_id, install.installed_at, install.install_id
)

insert into fact_user_acquisition as acquisition (
    user_id, install_id, installed_at, date_sk, channel_id, client_id
)
select user_id, install_id, installed_at, date_sk, channel_id, client_id
from first_installs
order by user_id
on conflict (user_id) do update
    set
        install_id = excluded.install_id,
        installed_at = excluded.installed_at,
        date_sk = excluded.date_sk,
        channel_id = excluded.channel_id,
        client_id = excluded.client_id
    where (excluded.installed_at, excluded.install_id)
        < (acquisition.installed_at, acquisition.install_id)
