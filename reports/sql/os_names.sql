-- purpose: the operating systems installs came from, for the channels page's OS choice
-- grain: one row per distinct os_name of dim_client
-- params: none
select distinct client.os_name
from dim_client as client
where client.os_name <> ''
order by client.os_name
