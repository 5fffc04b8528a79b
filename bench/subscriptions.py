"""Subscriptions for the benchmark database: simulated Stripe Billing, written by COPY.

The demo's catalog and subscription lives (devtools/billing/demo.py) for bench customers,
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

CHUNK_CUSTOMERS = 1000
CHANNELS = ["organic", "facebook_ads", "tiktok_ads", "influencer", "referral", "email"]
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
FACT_COLUMNS = [
    "stripe_id",
    "transaction_type",
    "status",
    "charge_id",
    "customer_id",
    "payment_method_id",
    "date_sk",
    "occurred_at",
    "amount",
    "currency",
    "balance_transaction_id",
    "settlement_amount",
    "fee",
    "net",
    "settlement_currency",
    "failure_code",
    "failure_message",
    "livemode",
    "updated_at",
]


def write_subscriptions(generator, cursor, count: int, copy_buffer) -> None:
    """About `count` subscriptions (whole customer lives: a few more with second
    subscriptions and reactivations) for the generator's customers; `copy_buffer(table,
    columns)` makes a COPY buffer."""
    if count <= 0:
        return
    rng = random.Random(f"subscriptions-{generator.args.seed}")
    now = generator.now
    catalog_sim = BillingSimulator(seed=generator.args.seed, record_events=False)
    catalog = DemoCatalog.create(catalog_sim, generator.start - dt.timedelta(days=30))
    buffers = {table: copy_buffer(table, COLUMNS[table]) for table in COLUMNS}
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
    fact = copy_buffer("fact_transaction", FACT_COLUMNS)

    customers = list(range(len(generator.customer_rows)))
    rng.shuffle(customers)
    made = 0
    for chunk_start in range(0, len(customers), CHUNK_CUSTOMERS):
        if made >= count:
            break
        sim = BillingSimulator(
            seed=rng.getrandbits(64), record_events=False, charge_description="Subscription"
        )
        sim.products.update(catalog_sim.products)
        sim.prices.update(catalog_sim.prices)
        sim.coupons.update(catalog_sim.coupons)
        owners = {}
        for index in customers[chunk_start : chunk_start + CHUNK_CUSTOMERS]:
            if made >= count:
                break
            stripe_id, created, currency, _, pm_ids, _ = generator.customer_rows[index]
            start = max(created, generator.start) + dt.timedelta(hours=rng.randrange(1, 72))
            if start >= generator.end:
                continue
            before = len(sim.subscriptions)
            # The channel only steers the coupons (devtools/billing/demo.py).
            channel = rng.choice(CHANNELS)
            profile = CustomerProfile(stripe_id, currency, channel, 0.2, 0.12)
            subscription_life(
                sim,
                catalog,
                rng,
                profile,
                start,
                generator.end,
                lambda _, cards=pm_ids: rng.choice(cards),
            )
            made += len(sim.subscriptions) - before
            owners[stripe_id] = index
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
    for charge in sim.charges.values():
        pm_id = charge["payment_method"]
        charge["payment_method_details"] = {"type": "card", "card": generator.pm_cards[pm_id]}
        bt = charge["balance_transaction"]
        if bt:
            add("djstripe_balancetransaction", bt)
        add("djstripe_charge", charge)
        moment = dt.datetime.fromtimestamp(charge["created"], dt.UTC)
        succeeded = charge["status"] == "succeeded"
        fact.add(
            charge["id"],
            "charge",
            charge["status"],
            charge["id"],
            charge["customer"],
            pm_id,
            generator._date_sk(moment),
            moment,
            charge["amount"],
            charge["currency"],
            bt["id"] if bt else "",
            bt["amount"] if bt else None,
            bt["fee"] if bt else None,
            bt["net"] if bt else None,
            "usd" if succeeded else "",
            charge["failure_code"] or "",
            charge["failure_message"] or "",
            False,
            now,
        )
        if succeeded:
            index = owners[charge["customer"]]
            span = generator.payment_span.setdefault(index, [moment, moment])
            span[0], span[1] = min(span[0], moment), max(span[1], moment)
    for invoice in sim.invoices.values():
        add("djstripe_invoice", sim.expanded_invoice(invoice))
    for invoiceitem in sim.invoiceitems.values():
        add("djstripe_invoiceitem", invoiceitem)
    for buffer in [*buffers.values(), fact]:
        buffer.maybe_flush(cursor)
