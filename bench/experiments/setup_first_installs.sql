-- purpose: the two pre-aggregates the channel funnel needs, as the warehouse could keep them:
--   user_first_install (one row per app user: the channel and time of their first install,
--   kept by upsert_install with ON CONFLICT (user_id) DO UPDATE ... WHERE excluded.installed_at
--   is earlier) and customer_totals (one row per customer: net to date and whether they ever
--   paid, kept by refresh_customer_months, which recomputes a customer's months anyway)
-- grain: see each table
drop table if exists bench_experiment.user_first_install;
create table bench_experiment.user_first_install as
select distinct on (install.user_id)
    install.user_id, install.channel_id, install.installed_at
from public.fact_user_first_install as install
order by install.user_id, install.installed_at, install.install_id;
alter table bench_experiment.user_first_install add primary key (user_id);
create index on bench_experiment.user_first_install (installed_at) include (user_id, channel_id);
drop table if exists bench_experiment.customer_totals;
create table bench_experiment.customer_totals as
select
    customer_id,
    sum(net) as net_revenue,
    bool_or(charge_count > 0) as has_paid
from public.fact_customer_month
group by customer_id;
alter table bench_experiment.customer_totals add primary key (customer_id);
analyze bench_experiment.user_first_install;
analyze bench_experiment.customer_totals;
