-- purpose: before the MRR facts of a delta refresh of some customers
--   (warehouse.services.subscriptions): which of its large statements have work, set for the
--   transaction, so the refresh runs each one only then (warehouse_execute_if), and the
--   counters that those statements set, reset, as one that does not run changed nothing:
--   - stripe_dwh.mrr_copies_stale ('true' or 'false'): an invoice of the customers whose
--     parsed copy is stale, or a copy whose invoice dj-stripe no longer holds:
--     facts/invoice_line_store.sql has work (the caller knows of the invoices whose invoice
--     items changed, which it parses whatever their copy);
--   - stripe_dwh.mrr_lines_may_change ('true' or 'false'): a stored line whose rate may still
--     change, or stored lines that differ in number from the copies' lines:
--     facts/fact_invoice_line.sql has work although the store changed no copy (it has work
--     too when the store changed one, stripe_dwh.mrr_changed_invoices, and when a charge,
--     balance transaction or price of theirs changed, which the caller knows);
--   - stripe_dwh.mrr_changed_invoices '0', stripe_dwh.mrr_changed_lines '0' and
--     stripe_dwh.mrr_changed_change_months ''.
--   Read before the store runs: when it then changes a copy, the lines are due anyway.
-- grain: one row
-- params: customer_ids (text[])
with customer_invoices as materialized (
    select invoice.id as invoice_id, invoice.djstripe_updated
    from djstripe_invoice as invoice
    where invoice.customer_id = any(%(customer_ids)s::text[])
),

customer_copies as materialized (
    select
        parsed.invoice_id, parsed.source_updated, parsed.source_digest, parsed.status,
        parsed.charge_id
    from int_invoice as parsed
    where parsed.customer_id = any(%(customer_ids)s::text[])
),

copies_stale as (
    select
        exists (
            select 1
            from customer_invoices
            left join customer_copies
                on customer_copies.invoice_id = customer_invoices.invoice_id
            where
                -- include: fragments/invoice_copy_stale.sql
        )
        -- a copy of an invoice dj-stripe no longer holds (a deleted draft)
        or exists (
            select 1
            from customer_copies
            where
                -- include: fragments/invoice_copy_gone.sql
        ) as stale
),

lines_may_change as (
    select
        -- a stored line whose rate may still change: not known yet, or borrowed (an unpaid
        -- line, or one paid without a charge of its own) while it converts a non-zero MRR
        exists (
            select 1
            from fact_invoice_line as line
            inner join int_invoice as invoice on invoice.invoice_id = line.invoice_id
            where
                line.customer_id = any(%(customer_ids)s::text[])
                and (
                    line.fx_rate is null
                    or (
                        line.mrr_numerator <> 0
                        and not (
                            invoice.status = 'paid'
                            and invoice.charge_id is not null
                            and line.charge_id = invoice.charge_id
                        )
                    )
                )
        )
        -- lines missing or left over (the copy holds one per line of a non-void invoice)
        or (
            select count(*)
            from int_invoice as invoice
            inner join int_invoice_line as copy_line
                on copy_line.invoice_id = invoice.invoice_id
            where
                invoice.customer_id = any(%(customer_ids)s::text[])
                and invoice.status not in ('void', 'deleted', '')
        ) <> (
            select count(*)
            from fact_invoice_line as line
            where line.customer_id = any(%(customer_ids)s::text[])
        ) as may_change
)

select
    set_config('stripe_dwh.mrr_copies_stale', copies_stale.stale::text, true) as copies_stale,
    set_config(
        'stripe_dwh.mrr_lines_may_change', lines_may_change.may_change::text, true
    ) as lines_may_change,
    set_config('stripe_dwh.mrr_changed_invoices', '0', true) as changed_invoices,
    set_config('stripe_dwh.mrr_changed_lines', '0', true) as changed_lines,
    set_config('stripe_dwh.mrr_changed_change_months', '', true) as changed_change_months
from copies_stale
cross join lines_may_change
