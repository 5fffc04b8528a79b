-- purpose: the raw CSV rows of the chunk that install_raw_stage.sql did not stage, for the
--          import to check one by one in Python (clean_install_row): it stages or rejects each
-- grain: one row per raw row not staged, in file order
-- parameters: none
select
    raw.line_number,
    raw.install_id, raw.user_id, raw.device_id, raw.installed_at,
    raw.os_name, raw.app_name, raw.app_version, raw.device_name,
    raw.channel_name, raw.channel_group, raw.channel_label,
    raw.country_code, raw.network_name, raw.campaign_name, raw.adgroup_name, raw.creative_name,
    raw.campaign_id, raw.adgroup_id, raw.creative_id, raw.ip_address
from install_raw as raw
where not exists (
    select 1
    from install_stage as stage
    where stage.line_number = raw.line_number
)
order by raw.line_number
