-- purpose: drop the staged installs that will not be inserted, so that dim_client and
--          dim_channel only get rows for installs actually inserted: install_ids already in
--          fact_install (a replay, maybe with another channel_name) and repeats
--          of an install_id within the batch (its first line wins, as in the fact insert)
-- grain: install_stage, one row per validated source line of the batch
-- A concurrent batch inserting the same new install_id between this and the fact insert can
-- still leave a dimension row without installs (harmless to the reports: counts are 0).
-- The two kinds are found apart (a union, not one OR): the stored ones by a semi-join the
-- planner can run as index probes or a hash, the repeats by a hash aggregate, neither by a
-- subplan per staged row nor a sort of the batch.
with first_lines as (
    select
        install_id,
        min(line_number) as line_number
    from install_stage
    group by install_id
),

installs_not_inserted as (
    select stage.line_number
    from install_stage as stage
    inner join first_lines on first_lines.install_id = stage.install_id
    where stage.line_number > first_lines.line_number

    union all

    select stage.line_number
    from install_stage as stage
    where exists (
        select 1
        from fact_install as fact
        where fact.install_id = stage.install_id
    )
)

delete from install_stage as stage
using installs_not_inserted
where stage.line_number = installs_not_inserted.line_number
