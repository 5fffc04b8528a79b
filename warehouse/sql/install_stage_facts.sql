-- purpose: insert the staged installs into fact_install; an install_id already
--          present (or repeated within the batch) is left as it is, so re-imports change
--          nothing. The same statement adds the installs it inserted (its RETURNING rows) to
--          the install marts fact_install_day and fact_user_acquisition: their delta form
--          (marts/fact_install_day.sql, marts/fact_user_acquisition.sql, same rules) without
--          probing fact_install again by install_id. Returns how many installs were inserted.
-- grain: one row per install_id (fact); marts as in their files
with inserted_installs as (
    insert into fact_install (
        install_id, user_id, device_id, installed_at, date_sk, client_id, channel_id,
        country_code, network_name, campaign_name, adgroup_name, creative_name,
        campaign_id, adgroup_id, creative_id, ip_address
    )
    select
        stage.install_id,
        stage.user_id,
        stage.device_id,
        stage.installed_at,
        stage.date_sk,
        client.client_sk,
        channel.channel_sk,
        stage.country_code,
        stage.network_name,
        stage.campaign_name,
        stage.adgroup_name,
        stage.creative_name,
        stage.campaign_id,
        stage.adgroup_id,
        stage.creative_id,
        stage.ip_address
    from install_stage as stage
    inner join dim_client as client
        on
            client.os_name = stage.os_name
            and client.app_name = stage.app_name
            and client.app_version = stage.app_version
            and client.device_name = stage.device_name
    inner join dim_channel as channel
        on channel.channel_name = stage.channel_name
    order by stage.line_number
    on conflict (install_id) do nothing
    returning install_id, user_id, installed_at, date_sk, channel_id, client_id
),

-- the new installs counted by integer keys first (a hash aggregate), so that dim_client is
-- joined once per (day, channel, client), not once per install
install_day_clients as (
    select date_sk, channel_id, client_id, count(*) as installs
    from inserted_installs
    group by date_sk, channel_id, client_id
),

-- marts/fact_install_day.sql's delta: rows incremented in key order (concurrent batches lock
-- them in the same order)
install_days as (
    insert into fact_install_day as install_day (date_sk, channel_id, os_name, installs)
    select
        install_day_clients.date_sk, install_day_clients.channel_id, client.os_name,
        sum(install_day_clients.installs)::integer as installs
    from install_day_clients
    inner join dim_client as client on client.client_sk = install_day_clients.client_id
    group by install_day_clients.date_sk, install_day_clients.channel_id, client.os_name
    order by install_day_clients.date_sk, install_day_clients.channel_id, client.os_name
    on conflict (date_sk, channel_id, os_name) do update
        set installs = install_day.installs + excluded.installs
),

-- marts/fact_user_acquisition.sql's delta: each user's earliest new install replaces the
-- stored one when earlier (ties: the smaller install_id; fragments/user_acquisition_upsert.sql)
first_installs as (
    select distinct on (user_id)
        user_id, install_id, installed_at, date_sk, channel_id, client_id
    from inserted_installs
    order by user_id, installed_at, install_id
),

acquisitions as (
    -- include: fragments/user_acquisition_upsert.sql
)

select count(*)::integer as inserted_installs
from inserted_installs
