-- purpose: an invoice's parsed copy (int_invoice, as customer_copies) is stale for its invoice
--   (djstripe_invoice, as customer_invoices): no copy; paid without a charge found (the
--   payment intent's charge may arrive after the invoice; stg_stripe__invoices looks it up);
--   or a copy of another version (djstripe_updated: every save bumps it) whose JSON differs
--   from the one parsed (fragments/invoice_source_digest.sql; an unknown digest differs)
-- grain: a boolean expression over one invoice left-joined to its copy
-- params: none
customer_copies.invoice_id is null
or (customer_copies.status = 'paid' and customer_copies.charge_id is null)
or (
    customer_copies.source_updated is distinct from customer_invoices.djstripe_updated
    and not coalesce(
        customer_copies.source_digest = (
            select
                -- include: fragments/invoice_source_digest.sql
            from djstripe_invoice as invoice
            where invoice.id = customer_invoices.invoice_id
        ),
        false
    )
)
