"""The simulator's objects go through dj-stripe's `sync_from_stripe_data`, offline."""

import datetime as dt

import pytest
from django.conf import settings

from devtools.billing.engine import BillingSimulator
from devtools.billing.sync import sync_objects

pytestmark = pytest.mark.django_db(transaction=True)


def at(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def scenario() -> BillingSimulator:
    sim = BillingSimulator(seed=3)
    start = at(2025, 1, 1)
    pro = sim.product("Pro", at=start)
    monthly = sim.price(pro, 1200, "eur", interval="month", at=start)
    monthly_plus = sim.price(pro, 2000, "eur", interval="month", at=start)
    metered = sim.price(pro, 3, "eur", interval="month", usage_type="metered", at=start)
    setup_fee = sim.price(pro, 4900, "eur", interval=None, at=start)
    forever = sim.coupon(percent_off=10, duration="forever", at=start)
    alice, bob = sim.customer(at=start), sim.customer(at=start)
    first = sim.subscribe(
        alice["id"], [(monthly, 2), (metered, 40)], at=at(2025, 1, 5), trial_days=7, coupon=forever
    )
    sim.add_invoice_item(first, at=at(2025, 1, 6), price=setup_fee)
    sim.change_price(first, at=at(2025, 2, 1), price=monthly_plus)
    sim.fail_payment(first, at=at(2025, 3, 1), outcome="recover")
    second = sim.subscribe(bob["id"], [(monthly, 1)], at=at(2025, 1, 20))
    sim.fail_payment(second, at=at(2025, 2, 1), outcome="canceled")
    sim.advance(at(2025, 4, 1))
    return sim


def test_every_object_syncs_offline(demo_account, stripe_unreachable):
    from djstripe.models import (
        Charge,
        Coupon,
        Discount,
        Invoice,
        InvoiceItem,
        PaymentIntent,
        Price,
        Product,
        Subscription,
        SubscriptionItem,
    )

    sim = scenario()
    objects = sim.objects()
    counts = sync_objects(sim, settings.STRIPE_TEST_SECRET_KEY)

    assert counts["invoices"] == len(objects["invoices"]) > 4
    assert Product.objects.count() == 1
    assert Price.objects.count() == 4
    assert Coupon.objects.count() == 1
    assert Subscription.objects.count() == 2
    assert SubscriptionItem.objects.count() == 3
    prices_by_amount = {p["unit_amount"]: p["id"] for p in objects["prices"]}
    assert sorted(SubscriptionItem.objects.values_list("price__id", flat=True)) == sorted(
        [prices_by_amount[2000], prices_by_amount[3], prices_by_amount[1200]]
    )
    assert Discount.objects.count() == 1
    assert Invoice.objects.count() == len(objects["invoices"])
    assert InvoiceItem.objects.count() == len(objects["invoiceitems"]) == 3
    assert PaymentIntent.objects.count() == len(objects["payment_intents"])
    assert Charge.objects.filter(status="failed").count() == 1 + 4
    stored = Subscription.objects.get(id=objects["subscriptions"][1]["id"])
    assert stored.stripe_data["status"] == "canceled"
    first_sub = objects["subscriptions"][0]["id"]
    with_prorations = next(
        i
        for i in objects["invoices"]
        if i["parent"]["subscription_details"]["subscription"] == first_sub
        and any(
            line["parent"]["subscription_item_details"]["proration"]
            for line in i["lines"]["data"]
            if line["parent"]["subscription_item_details"]
        )
    )
    stored_invoice = Invoice.objects.get(id=with_prorations["id"])
    assert stored_invoice.stripe_data["parent"]["subscription_details"]["subscription"] == (
        first_sub
    )
    # dj-stripe keeps the lines only inside the invoice's JSON (see devtools.billing.sync).
    assert [
        (line["id"], line["amount"], line["period"], line["discount_amounts"])
        for line in stored_invoice.stripe_data["lines"]["data"]
    ] == [
        (line["id"], line["amount"], line["period"], line["discount_amounts"])
        for line in with_prorations["lines"]["data"]
    ]
    # As dj-stripe retrieves invoices (expand=discounts), the stored discounts are objects.
    assert stored_invoice.stripe_data["discounts"][0]["source"]["type"] == "coupon"
