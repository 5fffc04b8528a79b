-- baseline (original analysis, query 2): top 5 channels by Android installs
-- purpose: channels ordered by installs from Android, then by all installs
-- grain: one row per channel (5 rows)
-- translation: user_first_install_fact -> fact_install, client_dim -> dim_client,
--   channel_dim -> dim_channel
-- params: as_of (unused; every baseline takes it)
with flagged_installs as (
    select
        install.channel_id,
        case when client.os_name = 'Android' then 1 else 0 end as is_android
    from fact_install as install
    left join dim_client as client on client.client_sk = install.client_id
)

select
    channel.channel_name,
    coalesce(sum(flagged_installs.is_android), 0) as android_installs,
    count(flagged_installs.channel_id) as total_installs
from dim_channel as channel
left join flagged_installs on flagged_installs.channel_id = channel.channel_sk
group by channel.channel_name
order by android_installs desc, total_installs desc
limit 5
