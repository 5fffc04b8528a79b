-- purpose: per-customer value table for the LTV page (money in settlement minor units)
-- grain: one row per customer who paid in the selected range; history up to last_month
-- params: first_month, last_month (first days of months), churn_rate (the page's average
--   churn; null when unknown), sort_key, descending (bool), customer_id_descending (bool: the
--   tie-break's direction), row_limit (null = all), row_offset, column_sort_keys (text[]:
--   the sort keys that are columns of the sources)
-- predicted_remaining = max(average monthly spend, 0) * (1 - c)^(g + 1) / c, where
--   c = greatest(churn_rate, 0.02) and g = months from the last paying month to last_month:
--   the expected spend of the months to come if each month the customer stays with
--   probability 1 - c; it shrinks as g grows and c is never below 2 %% (no division by zero).
-- Customers come from fact_customer_lifetime; those with movements after last_month (when
-- the range ends in the past) from the to-date columns of their fact_customer_month row.
-- Paging reads no more than it shows: each branch of customer_history is cut to its first
-- row_offset + row_limit rows in the page's order when that order is one of its columns
-- (total net, first or last payment month, active months). The sort's CASEs, whose conditions
-- are constants once the parameters are bound, fold to that one column, so the planner walks
-- an index in that order (fact_cl_total_net_idx for the default sort, total net descending)
-- and stops there; for the computed orders (email, average spend, predicted value) they fold
-- to nothing and every row in range is read. (PostgreSQL does not merge-append the two
-- branches on its own, hence the cut in each.) The page counts from whichever end is nearer:
-- the caller asks for the last pages in the reverse order (descending and
-- customer_id_descending flipped) and reverses the rows, so the last page is as cheap as the
-- first. customer_value_count.sql counts the customers for the pagination.
with customer_history as (
    -- customers whose whole history ends by last_month: their pre-aggregated lifetime
    (
        select
            lifetime.customer_id,
            lifetime.first_payment_month,
            lifetime.last_payment_month,
            lifetime.active_months,
            lifetime.total_net
        from fact_customer_lifetime as lifetime
        where lifetime.last_activity_month <= %(last_month)s::date
            and lifetime.last_payment_month >= %(first_month)s::date
        order by
            case when %(sort_key)s = 'first_payment_month' and not %(descending)s then lifetime.first_payment_month end asc,
            case when %(sort_key)s = 'first_payment_month' and %(descending)s then lifetime.first_payment_month end desc,
            case when %(sort_key)s = 'last_payment_month' and not %(descending)s then lifetime.last_payment_month end asc,
            case when %(sort_key)s = 'last_payment_month' and %(descending)s then lifetime.last_payment_month end desc,
            case when %(sort_key)s = 'active_months' and not %(descending)s then lifetime.active_months end asc,
            case when %(sort_key)s = 'active_months' and %(descending)s then lifetime.active_months end desc,
            case when %(sort_key)s = 'total_net' and not %(descending)s then lifetime.total_net end asc,
            case when %(sort_key)s = 'total_net' and %(descending)s then lifetime.total_net end desc,
            case when %(sort_key)s = any(%(column_sort_keys)s::text[]) and not %(customer_id_descending)s then lifetime.customer_id end asc,
            case when %(sort_key)s = any(%(column_sort_keys)s::text[]) and %(customer_id_descending)s then lifetime.customer_id end desc
        limit case when %(sort_key)s = any(%(column_sort_keys)s::text[]) then %(row_limit)s::bigint + %(row_offset)s::bigint end
    )
    union all
    -- customers with movements after last_month (a range in the past): their history to date
    -- on their row of the latest month up to last_month
    (
        select
            customer_month.customer_id,
            customer_month.first_payment_month,
            customer_month.last_payment_month_to_date as last_payment_month,
            customer_month.active_months_to_date as active_months,
            customer_month.net_to_date as total_net
        from fact_customer_month as customer_month
        where customer_month.month <= %(last_month)s::date
            and customer_month.next_month > %(last_month)s::date
            and customer_month.last_payment_month_to_date >= %(first_month)s::date
        order by
            case when %(sort_key)s = 'first_payment_month' and not %(descending)s then customer_month.first_payment_month end asc,
            case when %(sort_key)s = 'first_payment_month' and %(descending)s then customer_month.first_payment_month end desc,
            case when %(sort_key)s = 'last_payment_month' and not %(descending)s then customer_month.last_payment_month_to_date end asc,
            case when %(sort_key)s = 'last_payment_month' and %(descending)s then customer_month.last_payment_month_to_date end desc,
            case when %(sort_key)s = 'active_months' and not %(descending)s then customer_month.active_months_to_date end asc,
            case when %(sort_key)s = 'active_months' and %(descending)s then customer_month.active_months_to_date end desc,
            case when %(sort_key)s = 'total_net' and not %(descending)s then customer_month.net_to_date end asc,
            case when %(sort_key)s = 'total_net' and %(descending)s then customer_month.net_to_date end desc,
            case when %(sort_key)s = any(%(column_sort_keys)s::text[]) and not %(customer_id_descending)s then customer_month.customer_id end asc,
            case when %(sort_key)s = any(%(column_sort_keys)s::text[]) and %(customer_id_descending)s then customer_month.customer_id end desc
        limit case when %(sort_key)s = any(%(column_sort_keys)s::text[]) then %(row_limit)s::bigint + %(row_offset)s::bigint end
    )
),

customers_in_range as (
    select
        customer_id,
        first_payment_month,
        last_payment_month,
        active_months,
        total_net,
        (extract(year from last_payment_month) * 12 + extract(month from last_payment_month))::integer
        - (extract(year from first_payment_month) * 12 + extract(month from first_payment_month))::integer
        + 1 as span_months,
        (extract(year from %(last_month)s::date) * 12 + extract(month from %(last_month)s::date))::integer
        - (extract(year from last_payment_month) * 12 + extract(month from last_payment_month))::integer
        as months_since_last_payment
    from customer_history
),

customer_values as (
    select
        customers_in_range.*,
        total_net::numeric / span_months as average_monthly_spend,
        greatest(coalesce(%(churn_rate)s::numeric, 0), 0.02) as effective_churn
    from customers_in_range
),

customer_predictions as (
    select
        customer_values.*,
        greatest(average_monthly_spend, 0) * power(1 - effective_churn, months_since_last_payment + 1)
        / effective_churn as predicted_remaining
    from customer_values
),

-- the requested page's customers; dim_customer is read for every customer in range only when
-- sorting by customer (email)
customer_page as (
    select customer_predictions.*
    from customer_predictions
    order by
        case when %(sort_key)s = 'customer' and not %(descending)s then (
            select customer.email from dim_customer as customer
            where customer.stripe_id = customer_predictions.customer_id
        ) end asc,
        case when %(sort_key)s = 'customer' and %(descending)s then (
            select customer.email from dim_customer as customer
            where customer.stripe_id = customer_predictions.customer_id
        ) end desc,
        case when %(sort_key)s = 'first_payment_month' and not %(descending)s then first_payment_month end asc,
        case when %(sort_key)s = 'first_payment_month' and %(descending)s then first_payment_month end desc,
        case when %(sort_key)s = 'last_payment_month' and not %(descending)s then last_payment_month end asc,
        case when %(sort_key)s = 'last_payment_month' and %(descending)s then last_payment_month end desc,
        case when %(sort_key)s = 'active_months' and not %(descending)s then active_months end asc,
        case when %(sort_key)s = 'active_months' and %(descending)s then active_months end desc,
        case when %(sort_key)s = 'total_net' and not %(descending)s then total_net end asc,
        case when %(sort_key)s = 'total_net' and %(descending)s then total_net end desc,
        case when %(sort_key)s = 'average_monthly_spend' and not %(descending)s then average_monthly_spend end asc,
        case when %(sort_key)s = 'average_monthly_spend' and %(descending)s then average_monthly_spend end desc,
        case when %(sort_key)s = 'predicted_remaining' and not %(descending)s then predicted_remaining end asc,
        case when %(sort_key)s = 'predicted_remaining' and %(descending)s then predicted_remaining end desc,
        case when not %(customer_id_descending)s then customer_id end asc,
        case when %(customer_id_descending)s then customer_id end desc
    limit %(row_limit)s offset %(row_offset)s
)

select
    customer_page.customer_id,
    customer.email,
    customer_page.first_payment_month,
    customer_page.last_payment_month,
    customer_page.active_months::integer as active_months,
    customer_page.span_months,
    customer_page.total_net::bigint as total_net,
    round(customer_page.average_monthly_spend, 2) as average_monthly_spend,
    customer_page.months_since_last_payment,
    round(customer_page.predicted_remaining, 0)::bigint as predicted_remaining
from customer_page
inner join dim_customer as customer on customer.stripe_id = customer_page.customer_id
-- the page's order again (the join does not keep it)
order by
    case when %(sort_key)s = 'customer' and not %(descending)s then customer.email end asc,
    case when %(sort_key)s = 'customer' and %(descending)s then customer.email end desc,
    case when %(sort_key)s = 'first_payment_month' and not %(descending)s then customer_page.first_payment_month end asc,
    case when %(sort_key)s = 'first_payment_month' and %(descending)s then customer_page.first_payment_month end desc,
    case when %(sort_key)s = 'last_payment_month' and not %(descending)s then customer_page.last_payment_month end asc,
    case when %(sort_key)s = 'last_payment_month' and %(descending)s then customer_page.last_payment_month end desc,
    case when %(sort_key)s = 'active_months' and not %(descending)s then customer_page.active_months end asc,
    case when %(sort_key)s = 'active_months' and %(descending)s then customer_page.active_months end desc,
    case when %(sort_key)s = 'total_net' and not %(descending)s then customer_page.total_net end asc,
    case when %(sort_key)s = 'total_net' and %(descending)s then customer_page.total_net end desc,
    case when %(sort_key)s = 'average_monthly_spend' and not %(descending)s then customer_page.average_monthly_spend end asc,
    case when %(sort_key)s = 'average_monthly_spend' and %(descending)s then customer_page.average_monthly_spend end desc,
    case when %(sort_key)s = 'predicted_remaining' and not %(descending)s then customer_page.predicted_remaining end asc,
    case when %(sort_key)s = 'predicted_remaining' and %(descending)s then customer_page.predicted_remaining end desc,
    case when not %(customer_id_descending)s then customer_page.customer_id end asc,
    case when %(customer_id_descending)s then customer_page.customer_id end desc
