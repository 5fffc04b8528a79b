-- purpose: bulk-load one batch of validated install rows (COPY text on stdin) into install_stage
-- grain: one row per validated source row; empty text stays '', \N is NULL (only ip_address)
-- The columns come in the order the import writes them (installs._PreparedBatch.stage): the
-- line number, the text fields in the install format's order, then the parsed values.
copy install_stage (
    line_number,
    install_id, user_id, device_id,
    os_name, app_name, app_version, device_name,
    channel_name, channel_group, channel_label,
    country_code, network_name, campaign_name, adgroup_name, creative_name,
    campaign_id, adgroup_id, creative_id,
    installed_at, date_sk, ip_address
)
from stdin
