-- purpose: MRR at the end of a day per acquisition channel: each customer's MRR (their latest
--   movement up to the day) under the channel of their user's first install
--   (fact_user_acquisition, through dim_customer.user_id)
-- grain: one row per channel with customers that had MRR (plus one for customers without an
--   attributed install, channel_name null)
-- params: day (date)
with customer_mrr as (
    select distinct on (movement.customer_id)
        movement.customer_id,
        movement.mrr_after as mrr
    from fact_mrr_movement as movement
    where movement.date <= %(day)s::date
    order by movement.customer_id, movement.date desc
),

attributed as (
    select
        customer_mrr.customer_id,
        customer_mrr.mrr,
        channel.channel_name
    from customer_mrr
    left join dim_customer as customer on customer.stripe_id = customer_mrr.customer_id
    left join fact_user_acquisition as acquisition on acquisition.user_id = customer.user_id
    left join dim_channel as channel on channel.channel_sk = acquisition.channel_id
)

select
    attributed.channel_name,
    count(*) filter (where attributed.mrr > 0) as customers_with_mrr,
    sum(attributed.mrr) as mrr,
    round(sum(attributed.mrr)::numeric / nullif(count(*) filter (where attributed.mrr > 0), 0), 2)
        as arpa
from attributed
group by attributed.channel_name
having sum(attributed.mrr) > 0
order by sum(attributed.mrr) desc, attributed.channel_name nulls last
