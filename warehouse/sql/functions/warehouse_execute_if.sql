-- purpose: run a statement only when a condition holds, inside a round trip of several
--   statements (warehouse.sql_files.Conditional): the condition is evaluated after the
--   statements before it ran, so a refresh skips a large statement that has no work, and
--   its executor start-up with it, without a round trip to ask
-- grain: function
-- params: condition; statement (the text to run: an EXECUTE of a prepared statement with its
--   values inlined, or a statement's whole text)
-- Each statement it runs takes its own snapshot, as a top-level statement of the round trip
-- would (the function is volatile).
create or replace function warehouse_execute_if(condition boolean, statement text)
returns boolean
language plpgsql volatile as $$
begin
    if condition then
        execute statement;
    end if;
    return coalesce(condition, false);
end
$$
