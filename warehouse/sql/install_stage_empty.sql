-- purpose: empty install_stage before a batch is copied into it. A commit empties it anyway
--          (on commit delete rows); this covers batches loaded inside a caller's transaction.
--          DELETE, not TRUNCATE: the table is almost always empty already, and TRUNCATE would
--          give it a new file (catalog writes) at every batch, at every callback.
-- grain: install_stage, one row per validated source row of the batch
delete from install_stage
