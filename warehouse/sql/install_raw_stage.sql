-- purpose: stage the raw CSV rows of one chunk of an install file (install_raw, as COPY read
--          them) that are in the common, plainly valid form into install_stage, cleaned as
--          installs.clean_install_row cleans them; the import sends the other rows of the chunk
--          (install_raw_unstaged.sql) through clean_install_row, which stores or rejects each
--          with its reason. A row is staged here only if clean_install_row would accept it and
--          clean it to the same values (a subset of what it accepts, as its own fast path):
--          * every text field printable ASCII without spaces at either end (nothing to
--            strip), no longer than the shortest text limit (country code: two letters,
--            upper-cased), the required ones present;
--          * installed_at in one of the shapes of %(timestamp_shapes)s (digits as 9: ISO 8601
--            with T or a space, an optional fraction up to microseconds, an optional Z or
--            ±hh:mm, naive being UTC; or Unix seconds), with an hour below 24 and a second
--            below 60, between %(earliest)s and %(latest)s;
--          * ip_address empty, or a dotted IPv4 address without leading zeros, or an IPv6
--            address of hex groups with at most six colons.
--          A timestamp that has the shape but not a real date or time (2025-02-30, minute 61)
--          fails the cast and so the statement: the import then reads the rest of the file
--          row by row. The checks are plain string functions and two short regular
--          expressions: per row they cost about what COPY does.
-- grain: install_stage, one row per raw row staged (line_number is the file's line)
-- parameters: earliest, latest (installed_at's range), timestamp_shapes, time_zone (the
--             reporting day's zone), shortest_text_limit
with raw_rows as (
    select
        raw.*,
        -- the text fields, one per line (a raw CSV value without quotes holds no newline)
        concat_ws(
            e'\n',
            raw.install_id, raw.user_id, raw.device_id, raw.os_name, raw.app_name,
            raw.app_version, raw.device_name, raw.channel_name, raw.channel_group,
            raw.channel_label, raw.network_name, raw.campaign_name, raw.adgroup_name,
            raw.creative_name, raw.campaign_id, raw.adgroup_id, raw.creative_id
        ) as text_fields,
        translate(raw.installed_at, '0123456789', '9999999999') as installed_at_shape
    from install_raw as raw
),

plain_rows as (
    select
        raw_rows.*,
        case
            when length(raw_rows.installed_at) <= 10
                then to_timestamp(raw_rows.installed_at::bigint)
            when right(raw_rows.installed_at_shape, 6) in ('+99:99', '-99:99')
                or right(raw_rows.installed_at_shape, 1) = 'Z'
                then raw_rows.installed_at::timestamptz
            else raw_rows.installed_at::timestamp at time zone 'UTC'
        end as installed_moment
    from raw_rows
    where
        -- CASE: the checks in this order, the timestamp cast only after its shape's check
        case
            when raw_rows.installed_at_shape <> all(%(timestamp_shapes)s) then false
            when
                length(raw_rows.installed_at) > 10
                and (
                    substr(raw_rows.installed_at, 12, 2) >= '24'
                    or substr(raw_rows.installed_at, 18, 2) >= '60'
                )
                then false
            when
                raw_rows.install_id = '' or raw_rows.user_id = ''
                or raw_rows.os_name = '' or raw_rows.channel_name = ''
                then false
            when
                greatest(
                    length(raw_rows.install_id), length(raw_rows.user_id),
                    length(raw_rows.device_id), length(raw_rows.os_name),
                    length(raw_rows.app_name), length(raw_rows.app_version),
                    length(raw_rows.device_name), length(raw_rows.channel_name),
                    length(raw_rows.channel_group), length(raw_rows.channel_label),
                    length(raw_rows.network_name), length(raw_rows.campaign_name),
                    length(raw_rows.adgroup_name), length(raw_rows.creative_name),
                    length(raw_rows.campaign_id), length(raw_rows.adgroup_id),
                    length(raw_rows.creative_id)
                ) > %(shortest_text_limit)s
                then false
            -- anything but printable ASCII, or a space at either end of a field
            when raw_rows.text_fields ~ '[^ -~\n]|(^|\n) | (\n|$)' then false
            when raw_rows.country_code !~ '^([A-Za-z]{2})?$' then false
            when raw_rows.ip_address = '' then true
            when
                raw_rows.ip_address
                ~ '^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$'
                then true
            -- IPv6: hex groups, all eight or at most six colons around one ::
            when raw_rows.ip_address ~ '^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4}){7}$' then true
            else
                raw_rows.ip_address
                ~ '^([0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*)?::([0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*)?$'
                and length(raw_rows.ip_address)
                - length(replace(raw_rows.ip_address, ':', '')) <= 6
        end
    -- not flattened into staged_rows: installed_moment computed once per row
    offset 0
),

staged_rows as (
    select
        line_number,
        install_id, user_id, device_id,
        installed_moment as installed_at,
        to_char(installed_moment at time zone %(time_zone)s, 'YYYYMMDD')::integer as date_sk,
        os_name, app_name, app_version, device_name,
        channel_name, channel_group, channel_label,
        upper(country_code) as country_code,
        network_name, campaign_name, adgroup_name, creative_name,
        campaign_id, adgroup_id, creative_id,
        nullif(ip_address, '')::inet as ip_address
    from plain_rows
    where installed_moment between %(earliest)s and %(latest)s
)

insert into install_stage (
    line_number,
    install_id, user_id, device_id, installed_at, date_sk,
    os_name, app_name, app_version, device_name,
    channel_name, channel_group, channel_label,
    country_code, network_name, campaign_name, adgroup_name, creative_name,
    campaign_id, adgroup_id, creative_id, ip_address
)
select
    line_number,
    install_id, user_id, device_id, installed_at, date_sk,
    os_name, app_name, app_version, device_name,
    channel_name, channel_group, channel_label,
    country_code, network_name, campaign_name, adgroup_name, creative_name,
    campaign_id, adgroup_id, creative_id, ip_address
from staged_rows
