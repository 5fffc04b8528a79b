-- purpose: add the clients (os, app, version, device) of the staged installs to dim_client
-- grain: one row per distinct (os_name, app_name, app_version, device_name); existing rows are kept
with staged_clients as (
    select distinct os_name, app_name, app_version, device_name
    from install_stage
)

insert into dim_client (os_name, app_name, app_version, device_name)
select os_name, app_name, app_version, device_name
from staged_clients
-- a fixed order, so concurrent imports take row locks in the same order
order by os_name, app_name, app_version, device_name
on conflict (os_name, app_name, app_version, device_name) do nothing
