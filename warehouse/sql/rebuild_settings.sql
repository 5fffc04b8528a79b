-- purpose: planner and executor settings for the rest of a rebuild's transaction (set_config
--   with is_local = true: SET LOCAL, undone at its commit or rollback), for its full-table
--   statements, each planned for every row:
--   - jit off: the full forms' cost estimates pass jit_above_cost, and compiling them took
--     longer than running them (fact_transactions_prune: 0.72 s of JIT for a 0.12 s delete at
--     50,000 charges, docs/benchmarks.md "Rebuild orchestration");
--   - work_mem at least 64MB (a larger server setting is kept): the marts' and MRR facts'
--     sorts and hash aggregates over every row spilled to disk at PostgreSQL's default 4MB
--     (external merge, batches > 1). One session, a few such nodes per statement at a time;
--   - enable_memoize off: the planner put Memoize nodes in the rebuild's statements only
--     where their keys never repeat (a charge's own balance transaction, a dispute's), so they
--     only missed; the one in fact_invoice_line.sql's settlement look-up cost more than the
--     index scan it caches (0.066 against 0.013 ms per invoice; about 15 % of that statement's
--     CPU at 50,000 charges, docs/benchmarks.md "Rebuild orchestration");
--   - default_statistics_target 10 for the ANALYZE the rebuild runs in its transaction
--     (rebuild_analyze_payments.sql): it needs the row counts and rough distributions of the
--     tables it has just filled, not the finest histograms (a tenth of the sample: 0.18 s
--     instead of 0.9 s at 50,000 charges). After the commit autovacuum analyzes the rewritten
--     tables again at the server's target (their rows changed since this ANALYZE).
-- grain: one row (the settings' new values, unused)
-- params: none
select
    set_config('jit', 'off', true) as jit,
    set_config('enable_memoize', 'off', true) as enable_memoize,
    set_config(
        'work_mem',
        case
            when pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('64MB') then '64MB'
            else current_setting('work_mem')
        end,
        true
    ) as work_mem,
    set_config(
        'default_statistics_target',
        least(current_setting('default_statistics_target')::int, 10)::text,
        true
    ) as default_statistics_target
