-- purpose: upsert fact_invoice_line for some customers (or all) from their parsed invoices
--   and subscription-item lines (int_invoice, int_invoice_line: facts/invoice_line_store.sql
--   runs first) and the prices, with each line's exact MRR in the invoice currency and its
--   settlement value; delete the rows of lines that are gone (void or deleted invoices, lines
--   no longer on an invoice)
-- grain: one row per subscription-item line of a non-void invoice
-- params: all_customers (bool), customer_ids (text[]; ignored when all_customers)
-- delta form: the MRR refresh runs it only when the customers' lines may change
--   (facts/mrr_refresh_due.sql, warehouse.services.subscriptions): a line's values follow
--   from its invoice's copy, its price and its charges
-- answers: the number of lines it wrote (changed values only) or deleted, also set for the
--   transaction as stripe_dwh.mrr_changed_lines (fact_mrr_change.sql reads it)
-- MRR of a line, in invoice minor units, exactly (docs/metrics.md):
--   full-period line: (amount - inclusive tax - discounts) × month factor
--   positive proration ("remaining time"): price unit amount × quantity × (amount - inclusive
--     tax - discounts) / amount × month factor (the line's discount share, applied to the
--     full price; the prorated amount itself only dates the change)
--   negative proration ("unused time"): 0, ends the item's earlier price
-- Settlement: the exchange rate of the balance transaction of the invoice's paid charge;
--   unpaid and trial lines, and paid invoices without a charge of their own (paid by credit),
--   take the latest rate known for the currency at the invoice's creation (else the first
--   one known after it): the latest such charge in fact_transaction that settled in the
--   line's currency (rate 1) or whose balance transaction is synced.
with selected_invoices as (
    select
        invoices.invoice_id, invoices.customer_id, invoices.subscription_id, invoices.status,
        invoices.currency, invoices.created, invoices.paid_at, invoices.charge_id
    from int_invoice as invoices
    where
        (%(all_customers)s or invoices.customer_id = any(%(customer_ids)s::text[]))
        and invoices.status not in ('void', 'deleted', '')
),

invoice_lines as materialized (
    select
        lines.line_id,
        selected_invoices.invoice_id,
        selected_invoices.customer_id,
        coalesce(lines.subscription_id, selected_invoices.subscription_id) as subscription_id,
        lines.subscription_item_id,
        lines.price_id,
        lines.product_id,
        coalesce(lines.currency, selected_invoices.currency) as currency,
        lines.period_start,
        lines.period_end,
        lines.is_proration,
        lines.quantity,
        lines.amount,
        lines.discount_amount,
        lines.inclusive_tax_amount,
        selected_invoices.status as invoice_status,
        selected_invoices.created as invoice_created,
        selected_invoices.paid_at as invoice_paid_at,
        case when selected_invoices.status = 'paid' then selected_invoices.charge_id end
            as charge_id
    from selected_invoices
    inner join int_invoice_line as lines on lines.invoice_id = selected_invoices.invoice_id
),

subscription_lines as (
    select
        invoice_lines.line_id,
        invoice_lines.invoice_id,
        invoice_lines.customer_id,
        invoice_lines.subscription_id,
        invoice_lines.subscription_item_id,
        coalesce(invoice_lines.price_id, '') as price_id,
        coalesce(invoice_lines.product_id, prices.product_id, '') as product_id,
        invoice_lines.currency,
        invoice_lines.period_start,
        invoice_lines.period_end,
        invoice_lines.is_proration,
        invoice_lines.is_proration and invoice_lines.amount < 0 as is_credit,
        coalesce(prices.is_recurring, false)
        and (
            not invoice_lines.is_proration or invoice_lines.amount <= 0
            or prices.unit_amount_decimal is not null
        ) as is_recurring,
        invoice_lines.quantity,
        invoice_lines.amount,
        invoice_lines.discount_amount,
        invoice_lines.inclusive_tax_amount,
        invoice_lines.invoice_status,
        invoice_lines.invoice_created,
        invoice_lines.invoice_paid_at,
        invoice_lines.charge_id,
        prices.unit_amount_decimal,
        prices.month_factor_numerator,
        prices.month_factor_denominator
    from invoice_lines
    left join stg_stripe__prices as prices on prices.price_id = invoice_lines.price_id
),

line_rates as (
    select
        subscription_lines.*,
        case
            when not subscription_lines.is_recurring or subscription_lines.is_credit then 0::numeric
            when not subscription_lines.is_proration
                then (
                    subscription_lines.amount - subscription_lines.inclusive_tax_amount
                    - subscription_lines.discount_amount
                )::numeric * subscription_lines.month_factor_numerator
            when subscription_lines.amount = 0 then 0::numeric
            else subscription_lines.unit_amount_decimal * subscription_lines.quantity
                * (
                    subscription_lines.amount - subscription_lines.inclusive_tax_amount
                    - subscription_lines.discount_amount
                )
                * subscription_lines.month_factor_numerator
        end as mrr_numerator,
        case
            when not subscription_lines.is_recurring or subscription_lines.is_credit then 1::bigint
            when not subscription_lines.is_proration
                then subscription_lines.month_factor_denominator::bigint
            when subscription_lines.amount = 0 then 1::bigint
            else subscription_lines.amount * subscription_lines.month_factor_denominator
        end as mrr_denominator
    from subscription_lines
),

-- the charge whose exchange rate converts each line (a column of line_rates, not a CTE to join
-- back on line_id: the planner cannot estimate that self-join and over-sizes what follows)
line_charges as (
    select
        line_rates.*,
        coalesce(
            line_rates.charge_id,
            (
                select txn.stripe_id
                from fact_transaction as txn
                where
                    -- include: fragments/rate_charge_candidates.sql
                    and txn.occurred_at <= line_rates.invoice_created
                order by txn.occurred_at desc, txn.stripe_id desc
                limit 1
            ),
            (
                select txn.stripe_id
                from fact_transaction as txn
                where
                    -- include: fragments/rate_charge_candidates.sql
                    and txn.occurred_at > line_rates.invoice_created
                order by txn.occurred_at, txn.stripe_id
                limit 1
            )
        ) as rate_charge_id
    from line_rates
),

-- the balance transaction of a charge: synced row, else the copy embedded in the charge; for a
-- charge dj-stripe no longer holds, the settlement currency and balance transaction that
-- fact_transaction kept (a line settled in the line's own currency then still converts at 1)
charge_settlements as (
    select
        rate_charges.charge_id,
        lower(coalesce(
            balance.currency,
            charge.stripe_data -> 'balance_transaction' ->> 'currency',
            nullif(txn.settlement_currency, '')
        )) as settlement_currency,
        coalesce(
            (balance.stripe_data ->> 'exchange_rate')::numeric,
            (charge.stripe_data -> 'balance_transaction' ->> 'exchange_rate')::numeric
        ) as exchange_rate
    from (
        select distinct line_charges.rate_charge_id as charge_id
        from line_charges
        where line_charges.rate_charge_id is not null
    ) as rate_charges
    -- each by id (the limits keep them look-ups: a join planned on a small table read it whole)
    left join lateral (
        select charge.balance_transaction_id, charge.stripe_data
        from djstripe_charge as charge
        where charge.id = rate_charges.charge_id
        limit 1
    ) as charge on true
    left join lateral (
        select txn.settlement_currency, txn.balance_transaction_id
        from fact_transaction as txn
        where txn.stripe_id = rate_charges.charge_id and txn.transaction_type = 'charge'
        limit 1
    ) as txn on true
    left join lateral (
        select balance.currency, balance.stripe_data
        from djstripe_balancetransaction as balance
        where balance.id = coalesce(
            charge.balance_transaction_id,
            charge.stripe_data -> 'balance_transaction' ->> 'id',
            charge.stripe_data ->> 'balance_transaction',
            nullif(txn.balance_transaction_id, '')
        )
        limit 1
    ) as balance on true
),

settled_lines as (
    select
        line_charges.*,
        charge_settlements.settlement_currency,
        case
            when charge_settlements.settlement_currency is null then null
            when charge_settlements.settlement_currency = line_charges.currency then 1::numeric
            when charge_settlements.exchange_rate is null then null
            -- minor units: scale by the difference of the currencies' exponents
            else charge_settlements.exchange_rate
                * power(10::numeric, warehouse_currency_exponent(charge_settlements.settlement_currency)
                    - warehouse_currency_exponent(line_charges.currency))
        end as fx_rate
    from line_charges
    left join charge_settlements on charge_settlements.charge_id = line_charges.rate_charge_id
),

upserted_lines as (
    insert into fact_invoice_line (
        line_id, invoice_id, customer_id, subscription_id, subscription_item_id, price_id,
        product_id, currency, period_start, period_end, is_proration, is_credit, is_recurring,
        quantity, amount, discount_amount, inclusive_tax_amount, invoice_status,
        invoice_created, invoice_paid_at, mrr_numerator, mrr_denominator, charge_id, fx_rate,
        settlement_currency, mrr, updated_at
    )
    select
        settled_lines.line_id,
        settled_lines.invoice_id,
        settled_lines.customer_id,
        coalesce(settled_lines.subscription_id, ''),
        settled_lines.subscription_item_id,
        settled_lines.price_id,
        settled_lines.product_id,
        settled_lines.currency,
        settled_lines.period_start,
        settled_lines.period_end,
        settled_lines.is_proration,
        settled_lines.is_credit,
        settled_lines.is_recurring,
        settled_lines.quantity,
        settled_lines.amount,
        settled_lines.discount_amount,
        settled_lines.inclusive_tax_amount,
        settled_lines.invoice_status,
        settled_lines.invoice_created,
        settled_lines.invoice_paid_at,
        settled_lines.mrr_numerator,
        settled_lines.mrr_denominator,
        coalesce(settled_lines.rate_charge_id, ''),
        settled_lines.fx_rate,
        coalesce(settled_lines.settlement_currency, ''),
        case
            when settled_lines.fx_rate is not null
                then warehouse_round_half_even(
                    settled_lines.mrr_numerator * settled_lines.fx_rate,
                    settled_lines.mrr_denominator
                )
        end as mrr,
        now() as updated_at
    from settled_lines
    on conflict (line_id) do update set
        invoice_id = excluded.invoice_id,
        customer_id = excluded.customer_id,
        subscription_id = excluded.subscription_id,
        subscription_item_id = excluded.subscription_item_id,
        price_id = excluded.price_id,
        product_id = excluded.product_id,
        currency = excluded.currency,
        period_start = excluded.period_start,
        period_end = excluded.period_end,
        is_proration = excluded.is_proration,
        is_credit = excluded.is_credit,
        is_recurring = excluded.is_recurring,
        quantity = excluded.quantity,
        amount = excluded.amount,
        discount_amount = excluded.discount_amount,
        inclusive_tax_amount = excluded.inclusive_tax_amount,
        invoice_status = excluded.invoice_status,
        invoice_created = excluded.invoice_created,
        invoice_paid_at = excluded.invoice_paid_at,
        mrr_numerator = excluded.mrr_numerator,
        mrr_denominator = excluded.mrr_denominator,
        charge_id = excluded.charge_id,
        fx_rate = excluded.fx_rate,
        settlement_currency = excluded.settlement_currency,
        mrr = excluded.mrr,
        updated_at = excluded.updated_at
    -- only lines whose values changed are written, and counted as changes
    where (
        fact_invoice_line.invoice_id, fact_invoice_line.customer_id,
        fact_invoice_line.subscription_id, fact_invoice_line.subscription_item_id,
        fact_invoice_line.price_id, fact_invoice_line.product_id, fact_invoice_line.currency,
        fact_invoice_line.period_start, fact_invoice_line.period_end,
        fact_invoice_line.is_proration, fact_invoice_line.is_credit,
        fact_invoice_line.is_recurring, fact_invoice_line.quantity, fact_invoice_line.amount,
        fact_invoice_line.discount_amount, fact_invoice_line.inclusive_tax_amount,
        fact_invoice_line.invoice_status, fact_invoice_line.invoice_created,
        fact_invoice_line.invoice_paid_at, fact_invoice_line.mrr_numerator,
        fact_invoice_line.mrr_denominator, fact_invoice_line.charge_id,
        fact_invoice_line.fx_rate, fact_invoice_line.settlement_currency, fact_invoice_line.mrr
    ) is distinct from (
        excluded.invoice_id, excluded.customer_id, excluded.subscription_id,
        excluded.subscription_item_id, excluded.price_id, excluded.product_id,
        excluded.currency, excluded.period_start, excluded.period_end, excluded.is_proration,
        excluded.is_credit, excluded.is_recurring, excluded.quantity, excluded.amount,
        excluded.discount_amount, excluded.inclusive_tax_amount, excluded.invoice_status,
        excluded.invoice_created, excluded.invoice_paid_at, excluded.mrr_numerator,
        excluded.mrr_denominator, excluded.charge_id, excluded.fx_rate,
        excluded.settlement_currency, excluded.mrr
    )
    returning fact_invoice_line.line_id
),

deleted_lines as (
    delete from fact_invoice_line as stale
    where
        (%(all_customers)s or stale.customer_id = any(%(customer_ids)s::text[]))
        and not exists (select 1 from settled_lines where settled_lines.line_id = stale.line_id)
    returning stale.line_id
)

-- the number of lines written or deleted, for fact_mrr_change's delta form later in the
-- transaction (nothing to recompute from unchanged lines)
select set_config(
    'stripe_dwh.mrr_changed_lines',
    ((select count(*) from upserted_lines) + (select count(*) from deleted_lines))::text,
    true
) as changed_lines
