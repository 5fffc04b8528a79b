"""The Stripe double serves simulated Billing objects: stripe-python reads them over HTTP,
dj-stripe syncs them from signed webhooks and from `djstripe_sync_models`."""

import datetime as dt
import io

import pytest
import requests
import stripe
from django.core.management import call_command

from devtools.billing import BillingSimulator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def at(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def scenario() -> BillingSimulator:
    sim = BillingSimulator(seed=21)
    start = at(2025, 1, 1)
    pro = sim.product("Pro", at=start)
    monthly = sim.price(pro, 1500, "usd", interval="month", at=start)
    yearly = sim.price(pro, 15000, "usd", interval="year", at=start)
    sim.price(pro, 2500, "usd", interval=None, at=start)
    welcome = sim.coupon(percent_off=20, duration="repeating", duration_in_months=3, at=start)
    ann, ben = sim.customer(at=start, email="ann@example.com"), sim.customer(at=start)
    first = sim.subscribe(ann["id"], [(monthly, 2)], at=at(2025, 1, 3), coupon=welcome)
    sim.change_quantity(first, at=at(2025, 1, 18), quantity=3)
    sim.fail_payment(first, at=at(2025, 3, 1), outcome="recover")
    second = sim.subscribe(ben["id"], [(yearly, 1)], at=at(2025, 2, 1), trial_days=7)
    sim.cancel(second, at=at(2025, 3, 1))
    sim.advance(at(2025, 4, 10))
    return sim


@pytest.fixture
def loaded(empty_stripe_double):
    sim = scenario()
    response = requests.post(
        f"{empty_stripe_double}/_test/billing/objects",
        json=sim.objects(),
        timeout=30,
        auth=(stripe.api_key, ""),
    )
    response.raise_for_status()
    return sim


def test_stripe_python_lists_and_retrieves_billing_objects(loaded):
    objects = loaded.objects()
    invoices = objects["invoices"]
    listed = stripe.Invoice.list(limit=3)
    assert [i.id for i in listed.auto_paging_iter()] == [
        i["id"] for i in sorted(invoices, key=lambda i: i["created"], reverse=True)
    ]
    first_sub = objects["subscriptions"][0]["id"]
    mine = stripe.Invoice.list(subscription=first_sub)
    assert {i.id for i in mine.auto_paging_iter()} == {
        i["id"]
        for i in invoices
        if i["parent"]["subscription_details"]["subscription"] == first_sub
    }
    renewal = [
        i for i in invoices if i["parent"]["subscription_details"]["subscription"] == first_sub
    ][1]
    invoice = stripe.Invoice.retrieve(renewal["id"], expand=["discounts"])
    assert invoice.discounts[0].object == "discount"
    assert "payments" not in invoice  # includable: only when expanded
    with_payments = stripe.Invoice.retrieve(renewal["id"], expand=["payments"])
    assert with_payments.payments.data[0].object == "invoice_payment"
    assert invoice.parent.subscription_details.subscription == first_sub
    lines = stripe.Invoice.list_lines(renewal["id"], limit=1)
    assert [line.id for line in lines.auto_paging_iter()] == [
        line["id"] for line in renewal["lines"]["data"]
    ]
    assert len(renewal["lines"]["data"]) == 3  # two prorations and the new period
    # Subscriptions without a status filter leave out the canceled one, as Stripe does.
    assert [s.id for s in stripe.Subscription.list()] == [first_sub]
    assert len(stripe.Subscription.list(status="all").data) == 2
    payments = stripe.InvoicePayment.list(invoice=renewal["id"])
    paid_with = renewal["payments"]["data"][0]["payment"]["payment_intent"]
    assert payments.data[0].payment.payment_intent == paid_with
    assert len(stripe.Price.list().data) == 3
    assert stripe.Coupon.retrieve(objects["coupons"][0]["id"]).percent_off == 20
    charge = stripe.Charge.retrieve(objects["charges"][0]["id"])
    assert isinstance(charge.balance_transaction, str)
    expanded = stripe.Charge.retrieve(charge.id, expand=["balance_transaction"])
    assert expanded.balance_transaction.id == objects["charges"][0]["balance_transaction"]["id"]
    with pytest.raises(stripe.InvalidRequestError, match="No such invoice"):
        stripe.Invoice.retrieve("in_missing")


def test_bad_loads_are_refused_and_nothing_is_stored(empty_stripe_double):
    url = f"{empty_stripe_double}/_test/billing/objects"
    key = (stripe.api_key, "")
    assert requests.post(url, json={}, timeout=10).status_code == 401
    assert requests.post(url, json={"widgets": []}, timeout=10, auth=key).status_code == 400
    bad = {"invoices": [{"no": "id"}]}
    assert requests.post(url, json=bad, timeout=10, auth=key).status_code == 400
    assert requests.post(url, data=b"not json", timeout=10, auth=key).status_code == 400
    assert stripe.Invoice.list().data == []


def test_signed_events_sync_every_billing_object_into_dj_stripe(loaded, deliver_event):
    from djstripe.models import (
        Charge,
        Discount,
        Invoice,
        InvoiceItem,
        Price,
        Product,
        Subscription,
        SubscriptionItem,
    )

    objects = loaded.objects()
    events = loaded.sorted_events()
    assert {e["type"].split(".")[0] for e in events} >= {
        "customer",
        "invoice",
        "price",
        "product",
        "coupon",
        "invoiceitem",
        "charge",
    }
    for event in events:
        response = deliver_event(event)
        assert response.status_code == 200, (event["type"], response.text[:300])

    assert set(Product.objects.values_list("id", flat=True)) == {
        p["id"] for p in objects["products"]
    }
    assert set(Price.objects.values_list("id", flat=True)) == {p["id"] for p in objects["prices"]}
    statuses = dict(Subscription.objects.values_list("id", "stripe_data__status"))
    assert statuses == {s["id"]: s["status"] for s in objects["subscriptions"]}
    assert statuses == {
        objects["subscriptions"][0]["id"]: "active",
        objects["subscriptions"][1]["id"]: "canceled",
    }
    assert SubscriptionItem.objects.count() == 2
    stored = dict(Invoice.objects.values_list("id", "stripe_data__status"))
    assert stored == {i["id"]: i["status"] for i in objects["invoices"]}
    assert InvoiceItem.objects.count() == len(objects["invoiceitems"]) == 2
    assert Discount.objects.count() == 1
    assert set(Charge.objects.values_list("id", flat=True)) == {c["id"] for c in objects["charges"]}


def test_djstripe_sync_models_lists_billing_from_the_double(loaded):
    from djstripe.models import Coupon, Invoice, Price, Product, Subscription

    objects = loaded.objects()
    call_command(
        "djstripe_sync_models",
        "Product",
        "Price",
        "Coupon",
        "Customer",
        "Subscription",
        "Invoice",
        stdout=io.StringIO(),
    )
    assert Product.objects.count() == 1
    assert Price.objects.count() == 3
    assert Coupon.objects.count() == 1
    assert Subscription.objects.count() == 2
    assert Invoice.objects.count() == len(objects["invoices"])


def test_a_load_over_aiohttps_one_megabyte_default_is_accepted(empty_stripe_double):
    # A simulated business of 60 customers is about 2.6 MB; aiohttp refuses bodies over 1 MB
    # unless the double lifts the limit for its load route.
    objects = scenario().objects()
    customer = objects["customers"][0]
    customer["description"] = "x" * (2 * 1024 * 1024)
    response = requests.post(
        f"{empty_stripe_double}/_test/billing/objects",
        json=objects,
        timeout=60,
        auth=(stripe.api_key, ""),
    )
    assert response.status_code == 200, response.text
    assert len(stripe.Customer.retrieve(customer["id"]).description) == 2 * 1024 * 1024
