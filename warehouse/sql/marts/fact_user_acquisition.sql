-- purpose: keep fact_user_acquisition: each user's first install (earliest installed_at, ties
--   broken by the smaller install_id), what the channel reports attribute a user to
-- grain: one row per user_id
-- triggered by: installs inserted (change set kind installs: their install ids); the write
--   paths apply the same delta from their insert's RETURNING rows (install_stage_facts.sql,
--   install_upsert_one.sql): the three include the same upsert
--   (fragments/user_acquisition_upsert.sql)
-- params: install_ids (text[]; the delta form's new installs), all_installs (bool)
-- forms: delta = the new installs (all_installs false): each of their users' earliest new
--   install replaces the stored one when earlier; full = every install (all_installs true),
--   after install_aggregates_clear emptied the table
-- Concurrent loads: see the fragment (the earliest install wins; rows upserted in key order).
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

-- include: fragments/user_acquisition_upsert.sql
