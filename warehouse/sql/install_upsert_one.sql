-- purpose: store one validated install (the attribution callback) in one statement: its
--          client and channel in dim_client / dim_channel (only when the install is new;
--          an existing channel is kept as it is), the install in fact_install, and its delta
--          in fact_install_day and fact_user_acquisition (the rules of marts/*.sql and of
--          install_stage_facts.sql for a batch). An install_id already present changes
--          nothing. Every part reads the snapshot taken at the statement's start, so a
--          dimension row committed by a concurrent writer after it is neither inserted
--          (ON CONFLICT) nor seen: the install is then not inserted, and the caller (which
--          compares new_installs with inserted_installs) stores it by the batch path.
-- grain: one install (install_id)
-- params: the cleaned row's fields (install_id … ip_address), date_sk of installed_at
with new_install as (
    select
        %(install_id)s::text as install_id,
        %(user_id)s::text as user_id,
        %(device_id)s::text as device_id,
        %(installed_at)s::timestamptz as installed_at,
        %(date_sk)s::integer as date_sk,
        %(os_name)s::text as os_name,
        %(app_name)s::text as app_name,
        %(app_version)s::text as app_version,
        %(device_name)s::text as device_name,
        %(channel_name)s::text as channel_name,
        %(channel_group)s::text as channel_group,
        %(channel_label)s::text as channel_label,
        %(country_code)s::text as country_code,
        %(network_name)s::text as network_name,
        %(campaign_name)s::text as campaign_name,
        %(adgroup_name)s::text as adgroup_name,
        %(creative_name)s::text as creative_name,
        %(campaign_id)s::text as campaign_id,
        %(adgroup_id)s::text as adgroup_id,
        %(creative_id)s::text as creative_id,
        %(ip_address)s::inet as ip_address
    where not exists (
        select 1
        from fact_install as fact
        where fact.install_id = %(install_id)s::text
    )
),

inserted_client as (
    insert into dim_client (os_name, app_name, app_version, device_name)
    select os_name, app_name, app_version, device_name
    from new_install
    on conflict (os_name, app_name, app_version, device_name) do nothing
    returning client_sk
),

install_client as (
    select client_sk from inserted_client
    union all
    select client.client_sk
    from dim_client as client
    inner join new_install
        on
            client.os_name = new_install.os_name
            and client.app_name = new_install.app_name
            and client.app_version = new_install.app_version
            and client.device_name = new_install.device_name
),

inserted_channel as (
    insert into dim_channel (channel_name, channel_group, channel_label)
    select channel_name, channel_group, channel_label
    from new_install
    on conflict (channel_name) do nothing
    returning channel_sk
),

install_channel as (
    select channel_sk from inserted_channel
    union all
    select channel.channel_sk
    from dim_channel as channel
    inner join new_install
        on channel.channel_name = new_install.channel_name
),

inserted_install as (
    insert into fact_install (
        install_id, user_id, device_id, installed_at, date_sk, client_id, channel_id,
        country_code, network_name, campaign_name, adgroup_name, creative_name,
        campaign_id, adgroup_id, creative_id, ip_address
    )
    select
        new_install.install_id,
        new_install.user_id,
        new_install.device_id,
        new_install.installed_at,
        new_install.date_sk,
        install_client.client_sk,
        install_channel.channel_sk,
        new_install.country_code,
        new_install.network_name,
        new_install.campaign_name,
        new_install.adgroup_name,
        new_install.creative_name,
        new_install.campaign_id,
        new_install.adgroup_id,
        new_install.creative_id,
        new_install.ip_address
    from new_install
    cross join install_client
    cross join install_channel
    on conflict (install_id) do nothing
    returning install_id, user_id, installed_at, date_sk, channel_id, client_id
),

install_day as (
    insert into fact_install_day as install_day (date_sk, channel_id, os_name, installs)
    select inserted_install.date_sk, inserted_install.channel_id, new_install.os_name, 1 as installs
    from inserted_install
    cross join new_install
    on conflict (date_sk, channel_id, os_name) do update
        set installs = install_day.installs + excluded.installs
),

-- one install: the batch path's rule (fragments/user_acquisition_upsert.sql) without its sort
acquisition as (
    insert into fact_user_acquisition as acquisition (
        user_id, install_id, installed_at, date_sk, channel_id, client_id
    )
    select user_id, install_id, installed_at, date_sk, channel_id, client_id
    from inserted_install
    -- include: fragments/user_acquisition_conflict.sql
)

-- the counts, also kept for install_upsert_counts.sql (the caller sends the channel funnel's
-- statements after this one in the same round trip, and reads the last statement's answer)
select
    counts.new_installs,
    counts.inserted_installs,
    set_config(
        'stripe_dwh.install_upsert_counts',
        counts.new_installs || ' ' || counts.inserted_installs,
        true
    ) as carried
from (
    select
        (select count(*) from new_install)::integer as new_installs,
        (select count(*) from inserted_install)::integer as inserted_installs
) as counts
