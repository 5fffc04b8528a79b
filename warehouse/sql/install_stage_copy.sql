-- purpose: bulk-load one batch of validated install rows (CSV on stdin) into install_stage
-- grain: one row per validated source row; empty unquoted text stays '' except ip_address (NULL)
copy install_stage (
    line_number, install_id, user_id, device_id, installed_at, date_sk,
    os_name, app_name, app_version, device_name,
    channel_name, channel_group, channel_label,
    country_code, network_name, campaign_name, adgroup_name, creative_name,
    campaign_id, adgroup_id, creative_id, ip_address
)
from stdin
with (
    format csv,
    force_not_null (
        install_id, user_id, device_id, os_name, app_name, app_version, device_name,
        channel_name, channel_group, channel_label,
        country_code, network_name, campaign_name, adgroup_name, creative_name,
        campaign_id, adgroup_id, creative_id
    )
)
