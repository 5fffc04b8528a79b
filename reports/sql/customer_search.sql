-- purpose: find customers for the manager's customer page: by the beginning of their email,
--   of their email's domain or of their name (case-insensitive), by exact user id or Stripe
--   id, or the customers of one cohort paying in one month (a retention heatmap cell)
-- grain: one row per customer, most net revenue first
-- params: search (text or null: the exact user id / Stripe id), search_prefix (text or null:
--   the LIKE pattern of the values beginning with search, reports.managers.like_prefix),
--   cohort_month, month (first days of months, or null), row_limit
-- Reads dim_customer, fact_customer_lifetime and (for a cohort cell) fact_customer_month. Each
-- condition on the search is an index range (dim_customer_email_prefix, _domain_prefix,
-- _name_prefix, the user id index, the primary key), so a search reads the customers it
-- finds, not every customer: a beginning, not "anywhere in the email" (pg_trgm, which would
-- index that, is not in the embedded server).
with cohort_cell_customers as (
    select customer_month.customer_id
    from fact_customer_month as customer_month
    -- without a cell the whole condition folds to false and PostgreSQL plans no scan at all
    -- (else it planned a parallel scan that never runs but still started its workers)
    where %(cohort_month)s::date is not null
        and customer_month.first_payment_month = %(cohort_month)s::date
        and customer_month.month = %(month)s::date
        and customer_month.charge_count > 0
),

matching_customers as (
    select customer.stripe_id
    from dim_customer as customer
    where %(search)s::text is not null
        and (
            lower(customer.email) like lower(%(search_prefix)s::text)
            or split_part(lower(customer.email), '@', 2) like lower(%(search_prefix)s::text)
            or lower(customer.name) like lower(%(search_prefix)s::text)
            or customer.user_id = %(search)s::text
            or customer.stripe_id = %(search)s::text
        )
    union
    select customer_id
    from cohort_cell_customers
)

select
    customer.stripe_id as customer_id,
    customer.email,
    customer.name,
    customer.user_id,
    lifetime.first_payment_month,
    lifetime.last_payment_month,
    coalesce(lifetime.total_net, 0)::bigint as total_net
from matching_customers
inner join dim_customer as customer on customer.stripe_id = matching_customers.stripe_id
left join fact_customer_lifetime as lifetime on lifetime.customer_id = customer.stripe_id
order by total_net desc, customer.email, customer.stripe_id
limit %(row_limit)s
