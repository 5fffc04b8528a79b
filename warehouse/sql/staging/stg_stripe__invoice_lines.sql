-- purpose: invoice lines of subscription items, from the invoice's JSON (the current copy,
--   re-synced with the invoice) and from dj-stripe's line items for lines beyond the page the
--   invoice embeds; basil+ shapes (parent.subscription_item_details, pricing.price_details)
--   with the pre-basil top-level fields as fallbacks
-- grain: one row per invoice line
-- params: none (a view, created by migration)
create or replace view stg_stripe__invoice_lines as
with invoices as not materialized (
    select invoice.id, invoice.stripe_data
    from djstripe_invoice as invoice
),

embedded_lines as (
    select invoices.id as invoice_id, line.value as line
    from invoices
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(invoices.stripe_data -> 'lines' -> 'data') = 'array'
                then invoices.stripe_data -> 'lines' -> 'data'
            else '[]'::jsonb
        end
    ) as line (value)
),

-- only for invoices whose JSON holds the first page of their lines (`has_more`); the
-- expression index djstripe_lineitem_invoice_idx finds them
stored_lines as (
    select invoices.id as invoice_id, item.stripe_data as line
    from invoices
    inner join djstripe_lineitem as item on (item.stripe_data ->> 'invoice') = invoices.id
    where
        (invoices.stripe_data -> 'lines' ->> 'has_more')::boolean
        and not exists (
            select 1
            from jsonb_array_elements(invoices.stripe_data -> 'lines' -> 'data') as embedded (line)
            where embedded.line ->> 'id' = item.id
        )
),

all_lines as (
    select embedded_lines.invoice_id, embedded_lines.line from embedded_lines
    union all
    select stored_lines.invoice_id, stored_lines.line from stored_lines
),

parsed_lines as (
    select
        all_lines.line ->> 'id' as line_id,
        all_lines.invoice_id,
        all_lines.line -> 'parent' -> 'subscription_item_details' as item_details,
        all_lines.line
    from all_lines
)

select
    parsed_lines.line_id,
    parsed_lines.invoice_id,
    coalesce(
        parsed_lines.item_details ->> 'subscription',
        parsed_lines.line -> 'subscription' ->> 'id',
        parsed_lines.line ->> 'subscription'
    ) as subscription_id,
    coalesce(
        parsed_lines.item_details ->> 'subscription_item',
        parsed_lines.line -> 'subscription_item' ->> 'id',
        parsed_lines.line ->> 'subscription_item'
    ) as subscription_item_id,
    coalesce(
        parsed_lines.line -> 'pricing' -> 'price_details' -> 'price' ->> 'id',
        parsed_lines.line -> 'pricing' -> 'price_details' ->> 'price',
        parsed_lines.line -> 'price' ->> 'id',
        parsed_lines.line -> 'plan' ->> 'id'
    ) as price_id,
    coalesce(
        parsed_lines.line -> 'pricing' -> 'price_details' -> 'product' ->> 'id',
        parsed_lines.line -> 'pricing' -> 'price_details' ->> 'product',
        parsed_lines.line -> 'price' ->> 'product'
    ) as product_id,
    coalesce(
        (parsed_lines.item_details ->> 'proration')::boolean,
        (parsed_lines.line ->> 'proration')::boolean,
        false
    ) as is_proration,
    lower(parsed_lines.line ->> 'currency') as currency,
    to_timestamp((parsed_lines.line -> 'period' ->> 'start')::bigint) as period_start,
    to_timestamp((parsed_lines.line -> 'period' ->> 'end')::bigint) as period_end,
    coalesce((parsed_lines.line ->> 'quantity')::bigint, 0) as quantity,
    coalesce((parsed_lines.line ->> 'amount')::bigint, 0) as amount,
    coalesce((
        select sum((discount.value ->> 'amount')::bigint)
        from jsonb_array_elements(
            case
                when jsonb_typeof(parsed_lines.line -> 'discount_amounts') = 'array'
                    then parsed_lines.line -> 'discount_amounts'
                else '[]'::jsonb
            end
        ) as discount (value)
    ), 0) as discount_amount,
    -- tax included in `amount` (basil+ `taxes`, pre-basil `tax_amounts`); exclusive tax is not
    -- in `amount`
    coalesce((
        select sum((tax.value ->> 'amount')::bigint)
        from jsonb_array_elements(
            case
                when jsonb_typeof(parsed_lines.line -> 'taxes') = 'array'
                    then parsed_lines.line -> 'taxes'
                else '[]'::jsonb
            end
        ) as tax (value)
        where tax.value ->> 'tax_behavior' = 'inclusive'
    ), 0) + coalesce((
        select sum((tax.value ->> 'amount')::bigint)
        from jsonb_array_elements(
            case
                when jsonb_typeof(parsed_lines.line -> 'tax_amounts') = 'array'
                    then parsed_lines.line -> 'tax_amounts'
                else '[]'::jsonb
            end
        ) as tax (value)
        where (tax.value ->> 'inclusive')::boolean
    ), 0) as inclusive_tax_amount
from parsed_lines
