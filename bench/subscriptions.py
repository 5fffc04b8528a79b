"""Subscriptions for the benchmark database: simulated Stripe Billing, written by COPY.

The demo's catalog and subscription lives (devtools/billing/demo.py) for bench customers
(each scripted by its channel, as in the demo),
run through the Billing simulator (devtools.billing) in chunks of customers so memory stays
flat, then written as dj-stripe stores them (devtools/billing/bulk.py): products, prices,
coupons, subscriptions and their items, discounts, invoices (their lines inside, as
dj-stripe keeps them), invoice items, payment intents, and the invoices' charges with
their balance transactions, plus each charge's fact_transaction row.
"""

import datetime as dt
import random

from devtools.billing.bulk import COLUMNS, rows
from devtools.billing.demo import CustomerProfile, DemoCatalog, subscription_life
from devtools.billing.engine import BillingSimulator
from devtools.business.copy_rows import CopyBuffer, charge_fact
from devtools.business.stripe_objects import (
    customer_object,
    decorate_charge,
    payment_method_object,
)

CHUNK_CUSTOMERS = 1000
BILLING_TABLES = [
    "djstripe_product",
    "djstripe_price",
    "djstripe_coupon",
    "djstripe_subscription",
    "djstripe_subscriptionitem",
    "djstripe_discount",
    "djstripe_invoice",
    "djstripe_invoiceitem",
    "djstripe_lineitem",
    "djstripe_paymentintent",
]


def write_subscriptions(generator, cursor, count: int) -> None:
    """About `count` subscriptions (whole customer lives: a few more with second
    subscriptions and reactivations) for the generator's paying customers, each scripted by
    its channel as in the demo."""
    if count <= 0:
        return
    rng = random.Random(f"subscriptions-{generator.args.seed}")
    now = generator.now
    catalog_sim = BillingSimulator(seed=generator.args.seed, record_events=False)
    catalog = DemoCatalog.create(catalog_sim, generator.start - dt.timedelta(days=30))
    buffers = {table: CopyBuffer(table, COLUMNS[table]) for table in COLUMNS}
    for table, objects in (
        ("djstripe_product", catalog_sim.products),
        ("djstripe_price", catalog_sim.prices),
        ("djstripe_coupon", catalog_sim.coupons),
    ):
        for obj in objects.values():
            buffers[table].add(*rows(table, obj, now=now))
        buffers[table].flush(cursor)
    cursor.execute("select id, djstripe_id from djstripe_price")
    price_pk = dict(cursor.fetchall())
    fact = CopyBuffer("fact_transaction")

    paying = list(generator.customers_paying)
    rng.shuffle(paying)
    made = 0
    for chunk_start in range(0, len(paying), CHUNK_CUSTOMERS):
        if made >= count:
            break
        sim = BillingSimulator(
            seed=rng.getrandbits(64),
            usd_rate=lambda currency, moment: generator.business.usd_rate(
                currency, dt.datetime.fromtimestamp(moment, dt.UTC)
            ),
            record_events=False,
            charge_description="Stridely subscription",
        )
        sim.products.update(catalog_sim.products)
        sim.prices.update(catalog_sim.prices)
        sim.coupons.update(catalog_sim.coupons)
        owners = {}
        for entry in paying[chunk_start : chunk_start + CHUNK_CUSTOMERS]:
            if made >= count:
                break
            customer = entry.customer
            start = max(customer.created, generator.start) + dt.timedelta(
                hours=rng.randrange(1, 72)
            )
            if start >= generator.end:
                continue
            before = len(sim.subscriptions)
            channel = customer.user.channel
            profile = CustomerProfile(
                customer.id,
                customer.currency,
                channel.name,
                channel.premium_share,
                channel.first_month_churn,
            )
            card_ids = [card.id for card in entry.cards]
            subscription_life(
                sim,
                catalog,
                rng,
                profile,
                start,
                generator.end,
                lambda _, cards=card_ids: rng.choice(cards),
            )
            made += len(sim.subscriptions) - before
            owners[customer.id] = entry
        _write_chunk(generator, sim, buffers, fact, price_pk, owners, cursor)
    for buffer in [*buffers.values(), fact]:
        buffer.flush(cursor)
        generator.counts[buffer.table] = generator.counts.get(buffer.table, 0) + buffer.total
        generator.copy_seconds[f"{buffer.table} (subscriptions)"] = buffer.copy_seconds


def _write_chunk(generator, sim, buffers, fact, price_pk, owners, cursor) -> None:
    now = generator.now

    def add(table, obj):
        buffers[table].add(*rows(table, obj, now=now, price_pk=price_pk))

    for sub in sim.subscriptions.values():
        rendered = sim.render_subscription(sub)
        add("djstripe_subscription", rendered)
        for item in rendered["items"]["data"]:
            add("djstripe_subscriptionitem", item)
    for discount in sim.discounts.values():
        add("djstripe_discount", discount)
    for intent in sim.payment_intents.values():
        add("djstripe_paymentintent", intent)
    customers = {}  # Stripe objects, for the card details Stripe copies onto each charge
    for charge in sim.charges.values():
        entry = owners[charge["customer"]]
        if entry.customer.id not in customers:
            data = customer_object(entry.customer, {})
            cards = {card.id: payment_method_object(card, data) for card in entry.cards}
            customers[entry.customer.id] = data, cards
        data, cards = customers[entry.customer.id]
        decorate_charge(charge, cards[charge["payment_method"]], data)
        bt = charge["balance_transaction"]
        if bt:
            add("djstripe_balancetransaction", bt)
        add("djstripe_charge", charge)
        moment = dt.datetime.fromtimestamp(charge["created"], dt.UTC)
        fact.add(*charge_fact(charge, generator._date_sk(moment), now))
        if charge["status"] == "succeeded":
            entry.paid(moment)
    for invoice in sim.invoices.values():
        add("djstripe_invoice", sim.expanded_invoice(invoice))
    for invoiceitem in sim.invoiceitems.values():
        add("djstripe_invoiceitem", sim.expanded_invoiceitem(invoiceitem))
    for buffer in [*buffers.values(), fact]:
        buffer.maybe_flush(cursor)
