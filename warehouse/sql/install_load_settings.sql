-- purpose: settings for the transaction of one chunk of a CSV import (tens of thousands of
--          rows): sorts and hashes in memory (the server's default work_mem spills a chunk's
--          aggregates to disk), and no JIT compilation, which the planner picks from its
--          estimates of the unanalysed staging tables and which costs more than it saves on
--          statements run once per chunk
-- grain: none (one row of the settings' new values)
-- parameters: work_mem
select
    set_config('work_mem', %(work_mem)s, true) as work_mem,
    set_config('jit', 'off', true) as jit
