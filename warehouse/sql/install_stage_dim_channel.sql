-- purpose: add the channels of the staged installs to dim_channel; group and label come from
--          the channel's first staged row, and an existing channel is kept as it is
-- grain: one row per channel_name
-- (the first row of each channel by a hash aggregate and a join: a few channels in a big
-- batch, and no sort of the whole batch)
with first_lines as (
    select
        channel_name,
        min(line_number) as line_number
    from install_stage
    group by channel_name
),

staged_channels as (
    select stage.channel_name, stage.channel_group, stage.channel_label
    from install_stage as stage
    inner join first_lines
        on
            first_lines.channel_name = stage.channel_name
            and first_lines.line_number = stage.line_number
)

insert into dim_channel (channel_name, channel_group, channel_label)
select channel_name, channel_group, channel_label
from staged_channels
order by channel_name
on conflict (channel_name) do nothing
