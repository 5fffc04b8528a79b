-- purpose: MRR at the end of a day per acquisition channel: each customer's MRR (their latest
--   movement up to the day) under the channel of their user's first install
--   (fact_user_acquisition, through dim_customer.user_id)
-- grain: one row per channel with customers that had MRR (plus one for customers without an
--   attributed install, channel_name null)
-- params: day (date)
-- Summed from fact_channel_mrr_day (per day and channel, the change of the channel's
-- customers' MRR and of their number with MRR > 0; channel 0: no attributed install), kept by
-- the change set's marts step and the install path: a few rows per day of history instead of
-- every customer's movements.
with channel_mrr as (
    select
        mrr_day.channel_id,
        sum(mrr_day.mrr_change) as mrr,
        sum(mrr_day.customers_change) as customers_with_mrr
    from fact_channel_mrr_day as mrr_day
    where mrr_day.date <= %(day)s::date
    group by mrr_day.channel_id
)

select
    channel.channel_name,
    channel_mrr.customers_with_mrr,
    channel_mrr.mrr,
    round(channel_mrr.mrr::numeric / nullif(channel_mrr.customers_with_mrr, 0), 2) as arpa
from channel_mrr
left join dim_channel as channel on channel.channel_sk = channel_mrr.channel_id
where channel_mrr.mrr > 0
order by channel_mrr.mrr desc, channel.channel_name nulls last
