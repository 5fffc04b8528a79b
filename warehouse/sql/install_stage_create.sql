-- purpose: the per-connection staging table (temporary: never WAL-logged) that a batch of validated install rows is copied into
-- grain: one row per validated source row of the current batch (emptied at each batch and commit)
create temporary table if not exists install_stage (
    line_number integer not null,
    install_id text not null,
    user_id text not null,
    device_id text not null,
    installed_at timestamptz not null,
    date_sk integer not null,
    os_name text not null,
    app_name text not null,
    app_version text not null,
    device_name text not null,
    channel_name text not null,
    channel_group text not null,
    channel_label text not null,
    country_code text not null,
    network_name text not null,
    campaign_name text not null,
    adgroup_name text not null,
    creative_name text not null,
    campaign_id text not null,
    adgroup_id text not null,
    creative_id text not null,
    ip_address inet
) on commit delete rows
