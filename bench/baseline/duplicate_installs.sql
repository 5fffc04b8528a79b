-- baseline (original analysis, query 1): duplicate installs yesterday
-- purpose: user_ids with more than one install yesterday
-- grain: one row per user_id with more than one install that day
-- translation: user_first_install_fact -> fact_install
-- defects kept on purpose: DATE(installed_at) and "yesterday" in the server's time zone;
--   DATE(...) on the column cannot use the installed_at index
-- params: as_of ("yesterday" is the day before as_of's day; the original used current_timestamp)
select user_id, count(*) as installs
from fact_install
where date(installed_at) = date(%(as_of)s::timestamptz) - 1
group by user_id
having count(*) > 1
order by user_id
