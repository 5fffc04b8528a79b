-- purpose: the digest of an invoice's JSON (djstripe_invoice as invoice) that its parsed copy
--   is made from (int_invoice.source_digest): a save that changed none of it (as
--   invoice.payment_succeeded after invoice.paid) needs no parse; null (parse at every save)
--   when lines beyond the embedded page are read from djstripe_lineitem
-- grain: an expression over one djstripe_invoice row
-- params: none
case
    when coalesce((invoice.stripe_data -> 'lines' ->> 'has_more')::boolean, false) then null
    else md5(invoice.stripe_data::text)
end
