-- purpose: fill fact_user_acquisition from fact_install: each user's first install
--          (earliest installed_at, ties broken by the smaller install_id)
-- grain: one row per user_id
with first_installs as (
    select distinct on (install.user_id)
        install.user_id,
        install.install_id,
        install.installed_at,
        install.date_sk,
        install.channel_id,
        install.client_id
    from fact_install as install
    order by install.user_id, install.installed_at, install.install_id
)

insert into fact_user_acquisition (user_id, install_id, installed_at, date_sk, channel_id, client_id)
select user_id, install_id, installed_at, date_sk, channel_id, client_id
from first_installs
