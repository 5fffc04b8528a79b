-- purpose: invoice lines of subscription items, from the invoice's JSON (the current copy,
--   re-synced with the invoice) and from dj-stripe's line items for lines beyond the page the
--   invoice embeds; basil+ shapes (parent.subscription_item_details, pricing.price_details)
--   with the pre-basil top-level fields as fallbacks; a proration line whose discount Stripe
--   folded into its amount (`proration_discounts = included`: the line's discount amounts are
--   0, its invoice item's `proration_details.discount_amounts` hold the discount) is presented
--   in the itemized form: amount gross (amount + discount), discount_amount the discount
-- grain: one row per invoice line
-- params: none (a view, created by migration)
-- Per invoice, not per view: the lines are a LATERAL subquery of the invoice row, so a filter or
-- join on invoice_id is one on djstripe_invoice's key and reaches its index (a union-all CTE
-- over every invoice's expanded JSON kept a delta's filter out and expanded them all).
create or replace view stg_stripe__invoice_lines as
select
    parsed_lines.line_id,
    invoice.id as invoice_id,
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
    parsed_lines.is_proration,
    lower(parsed_lines.line ->> 'currency') as currency,
    to_timestamp((parsed_lines.line -> 'period' ->> 'start')::bigint) as period_start,
    to_timestamp((parsed_lines.line -> 'period' ->> 'end')::bigint) as period_end,
    coalesce((parsed_lines.line ->> 'quantity')::bigint, 0) as quantity,
    parsed_lines.line_amount + coalesce(folded_discounts.discount_amount, 0) as amount,
    parsed_lines.line_discount_amount
    + coalesce(folded_discounts.discount_amount, 0) as discount_amount,
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
from djstripe_invoice as invoice
-- the invoice's `lines` read once: each reference to the stored (TOAST-compressed) JSON
-- decompresses all of it again (OFFSET 0 keeps the extracted object one shared value)
cross join lateral (
    select invoice.stripe_data -> 'lines' as lines offset 0
) as invoice_lines
cross join lateral (
    select embedded.line
    from jsonb_array_elements(
        case
            when jsonb_typeof(invoice_lines.lines -> 'data') = 'array'
                then invoice_lines.lines -> 'data'
            else '[]'::jsonb
        end
    ) as embedded (line)
    union all
    -- only for invoices whose JSON holds the first page of their lines (`has_more`); the
    -- expression index djstripe_lineitem_invoice_idx finds them
    select item.stripe_data as line
    from djstripe_lineitem as item
    where
        (invoice_lines.lines ->> 'has_more')::boolean
        and (item.stripe_data ->> 'invoice') = invoice.id
        and not exists (
            select 1
            from jsonb_array_elements(invoice_lines.lines -> 'data') as embedded (line)
            where embedded.line ->> 'id' = item.id
        )
) as all_lines
cross join lateral (
    select
        all_lines.line ->> 'id' as line_id,
        all_lines.line -> 'parent' -> 'subscription_item_details' as item_details,
        all_lines.line,
        coalesce(
            all_lines.line -> 'parent' -> 'subscription_item_details' ->> 'invoice_item',
            all_lines.line -> 'parent' -> 'invoice_item_details' ->> 'invoice_item',
            all_lines.line -> 'invoice_item' ->> 'id',
            case
                when jsonb_typeof(all_lines.line -> 'invoice_item') = 'string'
                    then all_lines.line ->> 'invoice_item'
            end
        ) as invoice_item_id,
        coalesce(
            (all_lines.line -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean,
            (all_lines.line ->> 'proration')::boolean,
            false
        ) as is_proration,
        coalesce((all_lines.line ->> 'amount')::bigint, 0) as line_amount,
        coalesce((
            select sum((discount.value ->> 'amount')::bigint)
            from jsonb_array_elements(
                case
                    when jsonb_typeof(all_lines.line -> 'discount_amounts') = 'array'
                        then all_lines.line -> 'discount_amounts'
                    else '[]'::jsonb
                end
            ) as discount (value)
        ), 0) as line_discount_amount
) as parsed_lines
-- The discount folded into a charging proration (`included`): on the line's invoice item,
-- found by its unique Stripe id (an index look-up; dj-stripe syncs invoice items on their
-- own, so the view re-reads it whenever either changes). Null when the line is not in the
-- included form: not a proration, a credit (it counts 0 either way), its own discount
-- amounts already itemized, or no folded discount. A CASE, so that only those lines look
-- (a lateral aggregate per line cost a full read 1.5-2x, docs/benchmarks.md).
cross join lateral (
    select
        case
            when
                parsed_lines.is_proration
                and parsed_lines.line_amount > 0
                and parsed_lines.line_discount_amount = 0
                then (
                    select sum((discount.value ->> 'amount')::bigint)::bigint
                    from djstripe_invoiceitem as invoice_item
                    cross join lateral jsonb_array_elements(
                        case
                            when
                                jsonb_typeof(
                                    invoice_item.stripe_data -> 'proration_details'
                                    -> 'discount_amounts'
                                ) = 'array'
                                then
                                    invoice_item.stripe_data -> 'proration_details'
                                    -> 'discount_amounts'
                            else '[]'::jsonb
                        end
                    ) as discount (value)
                    where invoice_item.id = parsed_lines.invoice_item_id
                    having sum((discount.value ->> 'amount')::bigint) > 0
                )
        end as discount_amount
) as folded_discounts
