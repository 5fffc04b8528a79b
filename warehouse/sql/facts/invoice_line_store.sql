-- purpose: parse again the invoices of some customers (or all) whose parsed copy is stale, into
--   int_invoice (stg_stripe__invoices) and int_invoice_line (their subscription-item lines,
--   stg_stripe__invoice_lines), and drop the parsed copies of invoices dj-stripe no longer
--   holds; fact_invoice_line.sql reads these tables, so a refresh expands the JSON of the
--   invoices that changed only, not of all the customer's invoices
-- grain: int_invoice: one row per invoice; int_invoice_line: one row per invoice × line of a
--   subscription item (with an id and a period) on a non-void invoice
-- params: all_customers (bool; every invoice is parsed again), customer_ids (text[]; ignored
--   when all_customers), invoice_ids (text[]: invoices parsed again whatever their copy:
--   those whose invoice items changed)
-- Stale: fragments/invoice_copy_stale.sql (a save that changed nothing of an invoice's JSON
--   is not), or named in invoice_ids. The delta form runs only when an invoice is named or
--   facts/mrr_refresh_due.sql found a stale or gone copy.
-- answers: the copies written or dropped; the delta form also sets for the transaction
--   stripe_dwh.mrr_changed_invoices, the number of invoice copies whose values (other than
--   source_updated) and lines it wrote or dropped: fact_invoice_line.sql recomputes no line
--   when it is '0' (an invoice saved again unchanged, as invoice.paid after the charge's
--   event, or no invoice at all)
with customer_invoices as materialized (
    select invoice.id as invoice_id, invoice.djstripe_updated
    from djstripe_invoice as invoice
    where %(all_customers)s or invoice.customer_id = any(%(customer_ids)s::text[])
),

-- the customers' copies, read once (by their customer's index)
customer_copies as materialized (
    select
        parsed.invoice_id, parsed.source_updated, parsed.source_digest, parsed.customer_id,
        parsed.subscription_id, parsed.status, parsed.currency, parsed.created, parsed.paid_at,
        parsed.charge_id
    from int_invoice as parsed
    where %(all_customers)s or parsed.customer_id = any(%(customer_ids)s::text[])
),

-- (the full form: every invoice, without the join to the copies, whose estimate once the
-- copies are analysed was 20x the invoices and sized everything after it)
stale_invoices as materialized (
    select customer_invoices.invoice_id, customer_invoices.djstripe_updated
    from customer_invoices
    where %(all_customers)s
    union all
    select customer_invoices.invoice_id, customer_invoices.djstripe_updated
    from customer_invoices
    left join customer_copies on customer_copies.invoice_id = customer_invoices.invoice_id
    where
        not %(all_customers)s
        and (
            -- include: fragments/invoice_copy_stale.sql
            or customer_invoices.invoice_id = any(%(invoice_ids)s::text[])
        )
),

-- the ids as an array: the views' filter reaches djstripe_invoice's key
parsed_invoices as materialized (
    select
        invoices.invoice_id,
        invoices.customer_id,
        stale_invoices.djstripe_updated,
        invoices.subscription_id,
        invoices.status,
        invoices.currency,
        invoices.created,
        invoices.paid_at,
        invoices.charge_id,
        -- the delta form only (a few invoices): the full form leaves it unknown, which the
        -- invoice's next save re-parses, rather than digest every invoice
        case
            when not %(all_customers)s then (
                select
                    -- include: fragments/invoice_source_digest.sql
                from djstripe_invoice as invoice
                where invoice.id = invoices.invoice_id
            )
        end as source_digest
    from stg_stripe__invoices as invoices
    inner join stale_invoices on stale_invoices.invoice_id = invoices.invoice_id
    where
        -- nothing stale (most events): a one-time filter, no scan
        exists (select 1 from stale_invoices)
        and (
            %(all_customers)s
            or invoices.invoice_id = any(array(
                select stale_invoices.invoice_id from stale_invoices
            ))
        )
),

-- Two branches, each gated by a top-level AND on all_customers (the other one is planned
-- away): under an OR, the full form's IN could not become a semi-join (PostgreSQL pulls up
-- sublinks before it folds the constant) and stayed a subplan run per invoice, not hashed
-- once the misestimated parsed_invoices looked too big for memory: quadratic on a re-run.
parsed_lines as materialized (
    -- the delta form: the ids as an array (djstripe_invoice's key)
    select
        lines.invoice_id,
        lines.line_id,
        lines.subscription_id,
        lines.subscription_item_id,
        lines.price_id,
        lines.product_id,
        lines.currency,
        lines.period_start,
        lines.period_end,
        lines.is_proration,
        lines.quantity,
        lines.amount,
        lines.discount_amount,
        lines.inclusive_tax_amount
    from stg_stripe__invoice_lines as lines
    where
        not %(all_customers)s
        and exists (select 1 from parsed_invoices)
        and lines.invoice_id = any(array(
            select parsed_invoices.invoice_id
            from parsed_invoices
            where parsed_invoices.status not in ('void', 'deleted', '')
        ))
        and lines.subscription_item_id is not null
        and lines.line_id is not null
        and lines.period_start is not null
        and lines.period_end is not null
    union all
    -- the full form: a semi-join (an array of every invoice would be compared element by
    -- element)
    select
        lines.invoice_id,
        lines.line_id,
        lines.subscription_id,
        lines.subscription_item_id,
        lines.price_id,
        lines.product_id,
        lines.currency,
        lines.period_start,
        lines.period_end,
        lines.is_proration,
        lines.quantity,
        lines.amount,
        lines.discount_amount,
        lines.inclusive_tax_amount
    from stg_stripe__invoice_lines as lines
    where
        %(all_customers)s
        and lines.invoice_id in (
            select parsed_invoices.invoice_id
            from parsed_invoices
            where parsed_invoices.status not in ('void', 'deleted', '')
        )
        and lines.subscription_item_id is not null
        and lines.line_id is not null
        and lines.period_start is not null
        and lines.period_end is not null
),

upserted_invoices as (
    insert into int_invoice (
        invoice_id, customer_id, source_updated, source_digest, subscription_id, status,
        currency, created, paid_at, charge_id
    )
    select
        parsed_invoices.invoice_id,
        parsed_invoices.customer_id,
        parsed_invoices.djstripe_updated,
        parsed_invoices.source_digest,
        parsed_invoices.subscription_id,
        parsed_invoices.status,
        parsed_invoices.currency,
        parsed_invoices.created,
        parsed_invoices.paid_at,
        parsed_invoices.charge_id
    from parsed_invoices
    order by parsed_invoices.invoice_id
    on conflict (invoice_id) do update set
        customer_id = excluded.customer_id,
        source_updated = excluded.source_updated,
        source_digest = excluded.source_digest,
        subscription_id = excluded.subscription_id,
        status = excluded.status,
        currency = excluded.currency,
        created = excluded.created,
        paid_at = excluded.paid_at,
        charge_id = excluded.charge_id
    where (
        int_invoice.customer_id, int_invoice.source_updated, int_invoice.source_digest,
        int_invoice.subscription_id, int_invoice.status, int_invoice.currency,
        int_invoice.created, int_invoice.paid_at, int_invoice.charge_id
    ) is distinct from (
        excluded.customer_id, excluded.source_updated, excluded.source_digest,
        excluded.subscription_id, excluded.status, excluded.currency, excluded.created,
        excluded.paid_at, excluded.charge_id
    )
    returning int_invoice.invoice_id
),

upserted_lines as (
    insert into int_invoice_line (
        invoice_id, line_id, subscription_id, subscription_item_id, price_id, product_id,
        currency, period_start, period_end, is_proration, quantity, amount, discount_amount,
        inclusive_tax_amount
    )
    select
        parsed_lines.invoice_id,
        parsed_lines.line_id,
        parsed_lines.subscription_id,
        parsed_lines.subscription_item_id,
        parsed_lines.price_id,
        parsed_lines.product_id,
        parsed_lines.currency,
        parsed_lines.period_start,
        parsed_lines.period_end,
        parsed_lines.is_proration,
        parsed_lines.quantity,
        parsed_lines.amount,
        parsed_lines.discount_amount,
        parsed_lines.inclusive_tax_amount
    from parsed_lines
    order by parsed_lines.invoice_id, parsed_lines.line_id
    on conflict (invoice_id, line_id) do update set
        subscription_id = excluded.subscription_id,
        subscription_item_id = excluded.subscription_item_id,
        price_id = excluded.price_id,
        product_id = excluded.product_id,
        currency = excluded.currency,
        period_start = excluded.period_start,
        period_end = excluded.period_end,
        is_proration = excluded.is_proration,
        quantity = excluded.quantity,
        amount = excluded.amount,
        discount_amount = excluded.discount_amount,
        inclusive_tax_amount = excluded.inclusive_tax_amount
    where (
        int_invoice_line.subscription_id, int_invoice_line.subscription_item_id,
        int_invoice_line.price_id, int_invoice_line.product_id, int_invoice_line.currency,
        int_invoice_line.period_start, int_invoice_line.period_end,
        int_invoice_line.is_proration, int_invoice_line.quantity, int_invoice_line.amount,
        int_invoice_line.discount_amount, int_invoice_line.inclusive_tax_amount
    ) is distinct from (
        excluded.subscription_id, excluded.subscription_item_id, excluded.price_id,
        excluded.product_id, excluded.currency, excluded.period_start, excluded.period_end,
        excluded.is_proration, excluded.quantity, excluded.amount, excluded.discount_amount,
        excluded.inclusive_tax_amount
    )
    returning int_invoice_line.line_id
),

-- copies of invoices dj-stripe no longer holds (a deleted draft): not among the customers'
-- invoices (an invoice's customer does not change)
gone_invoices as materialized (
    select customer_copies.invoice_id
    from customer_copies
    where
        -- include: fragments/invoice_copy_gone.sql
),

deleted_invoices as (
    delete from int_invoice as parsed
    where
        exists (select 1 from gone_invoices)
        and parsed.invoice_id = any(array(select gone_invoices.invoice_id from gone_invoices))
    returning parsed.invoice_id
),

-- lines no longer on a re-parsed invoice, and the lines of gone invoices; the delta form:
deleted_lines as (
    delete from int_invoice_line as line
    where
        not %(all_customers)s
        and (
            (
                line.invoice_id = any(array(select stale_invoices.invoice_id from stale_invoices))
                and not exists (
                    select 1
                    from parsed_lines
                    where
                        parsed_lines.invoice_id = line.invoice_id
                        and parsed_lines.line_id = line.line_id
                )
            )
            or line.invoice_id = any(array(select gone_invoices.invoice_id from gone_invoices))
        )
    returning line.line_id
),

-- the full form: every stored line not parsed again (a gone invoice's lines are not), an
-- anti-join (a NOT EXISTS under the delta's OR would be a subplan per stored line)
deleted_all_lines as (
    delete from int_invoice_line as line
    where
        %(all_customers)s
        and not exists (
            select 1
            from parsed_lines
            where
                parsed_lines.invoice_id = line.invoice_id
                and parsed_lines.line_id = line.line_id
        )
    returning line.line_id
),

-- the delta form's re-parsed invoices whose copy is new or differs in more than its version
-- (source_updated): what fact_invoice_line.sql reads of an invoice
changed_copies as (
    select parsed_invoices.invoice_id
    from parsed_invoices
    left join customer_copies on customer_copies.invoice_id = parsed_invoices.invoice_id
    where
        not %(all_customers)s
        and (
            customer_copies.invoice_id is null
            or (
                customer_copies.customer_id, customer_copies.subscription_id,
                customer_copies.status, customer_copies.currency, customer_copies.created,
                customer_copies.paid_at, customer_copies.charge_id
            ) is distinct from (
                parsed_invoices.customer_id, parsed_invoices.subscription_id,
                parsed_invoices.status, parsed_invoices.currency, parsed_invoices.created,
                parsed_invoices.paid_at, parsed_invoices.charge_id
            )
        )
),

changed_counts as (
    select
        (select count(*) from upserted_invoices) as invoices_written,
        (select count(*) from upserted_lines) as lines_written,
        (select count(*) from deleted_invoices) as invoices_dropped,
        (select count(*) from deleted_lines) + (select count(*) from deleted_all_lines)
            as lines_dropped,
        (select count(*) from changed_copies) as copies_changed
)

-- (rows written: the copies whose values changed)
select
    changed_counts.invoices_written,
    changed_counts.lines_written,
    changed_counts.invoices_dropped,
    changed_counts.lines_dropped,
    set_config(
        'stripe_dwh.mrr_changed_invoices',
        (
            changed_counts.copies_changed + changed_counts.lines_written
            + changed_counts.invoices_dropped + changed_counts.lines_dropped
        )::text,
        true
    ) as changed_invoices
from changed_counts
