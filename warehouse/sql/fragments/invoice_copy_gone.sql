-- purpose: a parsed copy (int_invoice, as customer_copies) whose invoice dj-stripe no longer
--   holds among the customers' invoices (djstripe_invoice, as customer_invoices): a deleted
--   draft. The store deletes such copies and their lines (facts/invoice_line_store.sql,
--   gone_invoices); facts/mrr_refresh_due.sql reads the same rule to tell whether the store
--   has work, so the two cannot disagree.
-- grain: a boolean expression over one copy
-- params: none
not exists (
    select 1
    from customer_invoices
    where customer_invoices.invoice_id = customer_copies.invoice_id
)
