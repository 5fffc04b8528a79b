-- purpose: drop the staged installs that will not be inserted, so that dim_client and
--          dim_channel only get rows for installs actually inserted: install_ids already in
--          fact_install (a replay, maybe with another channel_name) and repeats
--          of an install_id within the batch (its first line wins, as in the fact insert)
-- grain: install_stage, one row per validated source line of the batch
-- A concurrent batch inserting the same new install_id between this and the fact insert can
-- still leave a dimension row without installs (harmless to the reports: counts are 0).
with staged_installs as (
    select
        line_number,
        install_id,
        row_number() over (partition by install_id order by line_number) as position_in_batch
    from install_stage
),

installs_not_inserted as (
    select staged.line_number
    from staged_installs as staged
    where
        staged.position_in_batch > 1
        or exists (
            select 1
            from fact_install as fact
            where fact.install_id = staged.install_id
        )
)

delete from install_stage as stage
using installs_not_inserted
where stage.line_number = installs_not_inserted.line_number
