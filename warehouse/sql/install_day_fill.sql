-- purpose: fill fact_install_day from fact_install: installs per day, channel and client
-- grain: one row per (date_sk, channel_id, client_id) with installs
with install_days as (
    select install.date_sk, install.channel_id, install.client_id, count(*)::integer as installs
    from fact_install as install
    group by install.date_sk, install.channel_id, install.client_id
)

insert into fact_install_day (date_sk, channel_id, client_id, installs)
select date_sk, channel_id, client_id, installs
from install_days
