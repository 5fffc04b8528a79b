-- purpose: add the channels of the staged installs to dim_channel; group and label come from
--          the channel's first staged row, and an existing channel is kept as it is
-- grain: one row per channel_name
with staged_channels as (
    select distinct on (channel_name) channel_name, channel_group, channel_label
    from install_stage
    order by channel_name, line_number
)

insert into dim_channel (channel_name, channel_group, channel_label)
select channel_name, channel_group, channel_label
from staged_channels
order by channel_name
on conflict (channel_name) do nothing
