-- purpose: the counts install_upsert_one.sql kept in its transaction-local setting (how many
--          installs were new at its start, how many it inserted), read after the channel
--          funnel's statements that the callback sends in the same round trip
-- grain: one row
select
    split_part(current_setting('stripe_dwh.install_upsert_counts'), ' ', 1)::integer
        as new_installs,
    split_part(current_setting('stripe_dwh.install_upsert_counts'), ' ', 2)::integer
        as inserted_installs
