-- purpose: settings for the rest of an import batch's transaction (set_config(..., true):
--          transaction-local): enough work_mem for the hash aggregates and joins over a
--          100,000-row install_stage to stay in memory, and no JIT, whose compilation of the
--          staging statements (their row estimates pass jit_above_cost) costs more than the
--          statements themselves
-- grain: one row (the settings' new values)
select
    set_config('work_mem', '64MB', true) as work_mem,
    set_config('jit', 'off', true) as jit
