-- purpose: empty install_raw before a chunk of a CSV file is copied into it. A commit empties
--          it anyway (on commit delete rows); this covers chunks loaded inside a caller's
--          transaction (see install_stage_empty.sql)
-- grain: install_raw, one row per line of the chunk
delete from install_raw
