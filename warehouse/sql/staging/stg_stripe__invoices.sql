-- purpose: dj-stripe's invoices with the basil+ shapes read from the JSON: the subscription
--   from parent.subscription_details, the paid charge through the invoice payments (a
--   payment's charge, or its payment intent's succeeded charge), with the pre-basil
--   top-level `subscription` and `charge` as fallbacks
-- grain: one row per invoice
-- params: none (a view, created by migration)
create or replace view stg_stripe__invoices as
with invoices as not materialized (
    select
        invoice.id,
        invoice.customer_id,
        parsed.stripe_data,
        parsed.paid_payment,
        invoice.created,
        invoice.livemode
    from djstripe_invoice as invoice
    -- per invoice (LATERAL): a filter on the invoice reaches djstripe_invoice's indexes
    cross join lateral (
        select
            invoice_json.data as stripe_data,
            -- the invoice's latest paid payment (a DISTINCT ON over all invoices' payments
            -- blocked the filter; a subquery here, not a LATERAL join, which the planner
            -- would memoize on the whole JSON)
            (
                select payment.value -> 'payment'
                from jsonb_array_elements(
                    case
                        when jsonb_typeof(invoice_json.data -> 'payments' -> 'data') = 'array'
                            then invoice_json.data -> 'payments' -> 'data'
                        else '[]'::jsonb
                    end
                ) as payment (value)
                where payment.value ->> 'status' = 'paid'
                order by
                    (payment.value -> 'status_transitions' ->> 'paid_at')::bigint desc nulls last
                limit 1
            ) as paid_payment
        -- the JSON decompressed once per invoice: each reference to the stored
        -- (TOAST-compressed) jsonb decompresses all of it again, and the columns below read
        -- it about ten times (`|| '{}'` returns the decompressed object; each OFFSET 0 keeps
        -- its subquery's values computed once, shared by the references)
        from (select invoice.stripe_data || '{}'::jsonb as data offset 0) as invoice_json
        offset 0
    ) as parsed
)

select
    invoices.id as invoice_id,
    -- dj-stripe's required foreign key, kept bare so that filters on it use its index
    invoices.customer_id,
    coalesce(
        invoices.stripe_data -> 'parent' -> 'subscription_details' -> 'subscription' ->> 'id',
        invoices.stripe_data -> 'parent' -> 'subscription_details' ->> 'subscription',
        invoices.stripe_data -> 'subscription' ->> 'id',
        invoices.stripe_data ->> 'subscription'
    ) as subscription_id,
    coalesce(invoices.stripe_data ->> 'status', '') as status,
    lower(invoices.stripe_data ->> 'currency') as currency,
    invoices.created,
    to_timestamp((invoices.stripe_data -> 'status_transitions' ->> 'paid_at')::bigint) as paid_at,
    coalesce(
        invoices.paid_payment -> 'charge' ->> 'id',
        invoices.paid_payment ->> 'charge',
        (
            select charge.id
            from djstripe_charge as charge
            where
                charge.payment_intent_id = coalesce(
                    invoices.paid_payment -> 'payment_intent' ->> 'id',
                    invoices.paid_payment ->> 'payment_intent'
                )
                and charge.status = 'succeeded'
            order by charge.created desc, charge.id desc
            limit 1
        ),
        invoices.stripe_data -> 'charge' ->> 'id',
        invoices.stripe_data ->> 'charge'
    ) as charge_id,
    invoices.livemode
from invoices
