"""The install row format: one set of keys for attribution files, callbacks and generators.

Plain data, no Django: the import service (warehouse.services.installs) validates rows with
these keys, and the synthetic-business generator (devtools) writes them.
"""

INSTALL_FIELDS = (
    "install_id",
    "user_id",
    "device_id",
    "installed_at",
    "os_name",
    "app_name",
    "app_version",
    "device_name",
    "channel_name",
    "channel_group",
    "channel_label",
    "country_code",
    "network_name",
    "campaign_name",
    "adgroup_name",
    "creative_name",
    "campaign_id",
    "adgroup_id",
    "creative_id",
    "ip_address",
)
REQUIRED_FIELDS = ("install_id", "user_id", "installed_at", "os_name", "channel_name")
# Keys kept in the dimensions rather than on the fact row: dim_client and dim_channel.
CLIENT_FIELDS = ("os_name", "app_name", "app_version", "device_name")
CHANNEL_FIELDS = ("channel_name", "channel_group", "channel_label")
