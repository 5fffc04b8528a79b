-- purpose: SQL twins of the money primitives the MRR statements need (warehouse/money.py is
--   the one home: the migration builds the exponent lists from it)
-- grain: functions
-- params: {zero_decimal} and {three_decimal}: quoted currency lists filled in by the migration
create or replace function warehouse_currency_exponent(currency text) returns integer
language sql immutable parallel safe as $$
    select case
        when lower(currency) in ({zero_decimal}) then 0
        when lower(currency) in ({three_decimal}) then 3
        else 2
    end
$$;

-- numerator / denominator rounded half-even to an integer, exactly (numeric div and mod are
-- exact); denominator > 0
create or replace function warehouse_round_half_even(numerator numeric, denominator numeric)
returns bigint
language sql immutable parallel safe as $$
    select (
        floored.quotient + case
            when 2 * (numerator - denominator * floored.quotient) > denominator then 1
            when 2 * (numerator - denominator * floored.quotient) = denominator
                then abs(mod(floored.quotient, 2))
            else 0
        end
    )::bigint
    from (
        select
            div(numerator, denominator)
            - case when mod(numerator, denominator) < 0 then 1 else 0 end as quotient
    ) as floored
$$;
