-- purpose: insert the staged installs into fact_install; an install_id already
--          present (or repeated within the batch) is left as it is, so re-imports change
--          nothing. Returns the installs actually inserted: the install marts
--          (fact_user_acquisition, fact_install_day) take them as their delta.
-- grain: one row per install_id (fact)
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
    returning install_id
)

select
    count(*)::integer as inserted_installs,
    coalesce(array_agg(install_id order by install_id), '{}') as inserted_install_ids
from inserted_installs
