"""MRR over real HTTP: a simulated Stripe Billing business (devtools.billing) served by the
Stripe double, its events signed and posted to a live server, dj-stripe re-retrieving each
object from the double, the warehouse written by the write path's flush. The warehouse then
equals the plain-Python oracle over the simulator's objects, and equals it again after
rebuild_warehouse and after the events are delivered shuffled and twice. One invoice is
refunded (`charge.refunded`: the double lists the refund): the cash facts lose it, MRR does
not.
"""

import datetime as dt
import random

import pytest
import requests
import stripe
from django.conf import settings

from devtools.billing import BillingSimulator
from tests.warehouse.mrr_oracle import MrrOracle
from tests.warehouse.test_mrr import assert_warehouse_equals
from warehouse.models import FactMrrMovement, FactTransaction
from warehouse.services import rebuild_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KINDS = {
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "customers": "customer",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "invoiceitems": "invoiceitem",
    "charges": "charge",
}


def at(year, month, day):
    return dt.datetime(year, month, day, 10, tzinfo=dt.UTC)


def business() -> BillingSimulator:
    sim = BillingSimulator(seed=13)
    start = at(2025, 1, 1)
    basic = sim.product("Basic", at=start)
    pro = sim.product("Pro", at=start)
    basic_month = sim.price(basic, 2000, "usd", interval="month", at=start)
    pro_month = sim.price(pro, 5000, "usd", interval="month", at=start)
    basic_year = sim.price(basic, 20000, "usd", interval="year", at=start)
    basic_jpy = sim.price(basic, 1500, "jpy", interval="month", at=start)
    basic_eur = sim.price(basic, 1800, "eur", interval="month", at=start)
    first_month = sim.coupon(percent_off=50, duration="once", at=start)
    fifth_off = sim.coupon(percent_off=20, duration="forever", at=start)
    customers = [sim.customer(at=start, email=f"c{n}@example.com")["id"] for n in range(11)]
    yearly = sim.subscribe(customers[0], [(basic_year, 1)], at=at(2025, 1, 5))
    upgrade = sim.subscribe(customers[1], [(basic_month, 1)], at=at(2025, 1, 3), coupon=first_month)
    sim.change_price(upgrade, at=at(2025, 2, 15), price=pro_month)
    seats = sim.subscribe(customers[2], [(basic_month, 2)], at=at(2025, 1, 10), trial_days=7)
    sim.change_quantity(seats, at=at(2025, 3, 4), quantity=5)
    sim.cancel(seats, at=at(2025, 4, 2), at_period_end=True)
    lapses = sim.subscribe(customers[3], [(basic_month, 1)], at=at(2025, 1, 20), trial_days=7)
    sim.cancel(lapses, at=at(2025, 1, 24))
    recovers = sim.subscribe(customers[4], [(basic_month, 1)], at=at(2025, 1, 8))
    sim.fail_payment(recovers, at=at(2025, 2, 1), outcome="recover")
    fails = sim.subscribe(customers[5], [(pro_month, 1)], at=at(2025, 1, 12))
    sim.fail_payment(fails, at=at(2025, 2, 1), outcome="canceled")
    churner = sim.subscribe(customers[6], [(basic_month, 1)], at=at(2025, 1, 6))
    sim.cancel(churner, at=at(2025, 2, 20))
    sim.subscribe(customers[6], [(pro_month, 1)], at=at(2025, 4, 1))
    sim.subscribe(customers[7], [(basic_jpy, 1)], at=at(2025, 1, 15))
    two = sim.subscribe(customers[8], [(basic_eur, 1)], at=at(2025, 1, 9))
    second = sim.subscribe(customers[8], [(basic_eur, 2)], at=at(2025, 2, 9))
    sim.cancel(second, at=at(2025, 3, 20))
    # a refunded invoice: the cash reports lose it, MRR does not (docs/metrics.md)
    yearly_invoice = next(
        invoice
        for invoice in sim.invoices.values()
        if invoice["parent"]["subscription_details"]["subscription"] == yearly
    )
    sim.refund(yearly_invoice["id"], at=at(2025, 2, 10))
    del two
    # upgrades under a 20 % forever coupon: the proration's discount folded into its amount
    # (Stripe's default) or itemized on the line
    for customer, form in ((customers[9], "included"), (customers[10], "itemized")):
        discounted = sim.subscribe(
            customer,
            [(basic_month, 1)],
            at=at(2025, 1, 20),
            coupon=fifth_off,
            proration_discounts=form,
        )
        sim.change_price(discounted, at=at(2025, 3, 1), price=pro_month)
    sim.advance(at(2025, 5, 20))
    return sim


def refunded_charges(sim: BillingSimulator) -> list[dict]:
    return [charge for charge in sim.charges.values() if charge["refunds"]["data"]]


def oracle_of(sim: BillingSimulator) -> MrrOracle:
    objects = [
        (KINDS[collection], obj)
        for collection, items in sim.objects().items()
        if collection in KINDS
        for obj in items
    ]
    return MrrOracle(
        objects, time_zone=settings.TIME_ZONE, grace_days=settings.MRR_PAST_DUE_GRACE_DAYS
    )


def serve(double_url: str, sim: BillingSimulator, *, with_events: bool = False) -> None:
    """Load the simulator's objects (and, if asked, its events, into the double's event log)
    into the Stripe double."""
    body = {**sim.objects(), "events": sim.events} if with_events else sim.objects()
    response = requests.post(
        f"{double_url}/_test/billing/objects", json=body, timeout=60, auth=(stripe.api_key, "")
    )
    response.raise_for_status()


@pytest.fixture
def served(empty_stripe_double):
    sim = business()
    serve(empty_stripe_double, sim)
    return sim


def test_webhooks_fill_mrr_as_the_oracle_and_the_rebuild(served, deliver_event):
    events = served.sorted_events()
    types = {event["type"] for event in events}
    assert {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "price.created",
        "product.created",
        "coupon.created",
        "charge.refunded",
    } <= types
    for event in events:
        response = deliver_event(event)
        assert response.status_code == 200, (event["type"], response.text[:300])
    # the refund reached the cash facts (the double lists it for `charge.refunded`)
    (charge,) = refunded_charges(served)
    (refund,) = charge["refunds"]["data"]
    assert FactTransaction.objects.get(stripe_id=refund["id"]).amount == -refund["amount"]
    assert refund["amount"] == charge["amount"] > 0
    oracle = oracle_of(served)
    assert len(oracle.movements()) >= 15
    assert_warehouse_equals(oracle)
    assert {m.movement_type for m in oracle.movements()} == {
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
    }
    rebuild_warehouse()
    assert_warehouse_equals(oracle)


def test_webhooks_out_of_order_and_twice(served, deliver_event):
    events = served.sorted_events()
    shuffled = events + random.Random(5).sample(events, len(events) // 2)
    random.Random(13).shuffle(shuffled)
    for event in shuffled:
        response = deliver_event(event)
        assert response.status_code == 200, (event["type"], response.text[:300])
    assert FactMrrMovement.objects.exists()
    assert_warehouse_equals(oracle_of(served))
