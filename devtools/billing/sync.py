"""Load a simulated scenario into dj-stripe through `sync_from_stripe_data`, offline.

Objects go in dependency order so dj-stripe finds every referenced object in the database
and never calls the Stripe API: products, prices, coupons, customers, subscriptions (with
their items), discounts, payment intents, charges (balance transactions and refunds
expanded), invoices (discounts expanded, as dj-stripe's `Invoice.expand_fields` asks), and
invoice items.

What dj-stripe 2.11 (with stripe-python 15) keeps of these, read from its code:
- Invoice line items are NOT stored in `djstripe_lineitem`: `Invoice`'s post-save hook
  iterates `lines.auto_paging_iter()` and calls `line.setdefault(...)`, which fails on a
  plain dict and on a StripeObject alike, and the hook swallows the error. The same holds
  for invoices synced from webhooks. Read the lines from `djstripe_invoice.stripe_data ->
  'lines' -> 'data'` (all lines are on the first page: the simulator never makes more
  than Stripe's default page of 10 per invoice in the demo).
- `Invoice.subscription`, `.charge` and `.payment_intent` stay NULL at this API version
  (the fields are gone); the links are `parent.subscription_details.subscription` and
  `payments.data[].payment.payment_intent` in `stripe_data`, and a charge's
  `payment_intent` column.
- Subscription items are stored (`djstripe_subscriptionitem`, price FK filled), but only
  when the subscription arrives as a StripeObject: the items hook calls
  `items.auto_paging_iter()`, so a plain dict raises. This module converts.
- Discounts are stored (`djstripe_discount`), from the invoices' expanded `discounts` and
  explicitly here for the subscriptions' current ones.
- Invoice payments have no dj-stripe model. `payments` is an includable field: Stripe
  leaves it out of invoices unless `expand[]=payments`, and dj-stripe does not ask (nor do
  events carry it). This loader (and the demo's) stores invoices as retrieved with
  payments expanded, so `stripe_data -> 'payments' -> 'data'` links each to its payment
  intent (and the charge's `payment_intent` column to the charge). On the webhook and
  `djstripe_sync_models` paths the write path must fetch them itself:
  `GET /v1/invoice_payments?invoice=<id>` or the invoice with `expand[]=payments` (the
  Stripe double serves both).
"""

import copy

import stripe


def as_stripe_object(data: dict):
    """A StripeObject of the right class, as stripe-python returns it from the API."""
    return stripe.convert_to_stripe_object(data)


def sync_objects(simulator, api_key: str, customer_ids=None) -> dict[str, int]:
    """Sync what the simulator holds (for `customer_ids` only, if given); returns counts.

    Customers it did not create (`BillingSimulator.customer`) must be synced already.
    """
    from djstripe.models import (
        Charge,
        Coupon,
        Customer,
        Discount,
        Invoice,
        InvoiceItem,
        PaymentIntent,
        Price,
        Product,
        Subscription,
    )

    def mine(obj: dict) -> bool:
        return customer_ids is None or obj["customer"] in customer_ids

    objects = simulator.objects()
    counts = {}

    def sync(model, key, rows, convert=lambda row: row):
        for row in rows:
            # A copy: dj-stripe's hooks add keys to the data they are given.
            model.sync_from_stripe_data(convert(copy.deepcopy(row)), api_key=api_key)
        counts[key] = len(rows)

    if customer_ids is None:
        sync(Product, "products", objects["products"])
        sync(Price, "prices", objects["prices"])
        sync(Coupon, "coupons", objects["coupons"])
        sync(Customer, "customers", objects["customers"])
    sync(
        Subscription,
        "subscriptions",
        [s for s in objects["subscriptions"] if mine(s)],
        as_stripe_object,
    )
    sync(Discount, "discounts", [d for d in objects["discounts"] if mine(d)])
    sync(PaymentIntent, "payment_intents", [p for p in objects["payment_intents"] if mine(p)])
    sync(Charge, "charges", [c for c in objects["charges"] if mine(c)])
    sync(
        Invoice,
        "invoices",
        [i for i in objects["invoices"] if mine(i)],
        lambda invoice: as_stripe_object(simulator.expanded_invoice(invoice)),
    )
    sync(
        InvoiceItem,
        "invoiceitems",
        [i for i in objects["invoiceitems"] if mine(i)],
        lambda invoiceitem: as_stripe_object(simulator.expanded_invoiceitem(invoiceitem)),
    )
    return counts
