"""The catch-up from Stripe's event log over subscription and invoice events: a simulated
Billing business (devtools.billing) of the last few weeks, its objects served by the
Stripe double and its events in the double's event log (`GET /v1/events`), no webhook
delivered. `sync_stripe_events` alone fills the MRR warehouse as the plain-Python oracle
computes it; a second run finds nothing new."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from devtools.billing import BillingSimulator
from stripe_events.models import StripeEventReceipt
from tests.stripe_events.conftest import event_log
from tests.warehouse.test_mrr import assert_warehouse_equals
from tests.warehouse.test_mrr_webhooks_e2e import oracle_of, serve
from warehouse.models import FactInvoiceLine, FactMrrMovement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def recent_business() -> BillingSimulator:
    """Weekly and monthly plans over the last 25 days (the event log keeps 30): a trial
    that converts, an upgrade, a failed renewal that recovers, a pause and a cancellation."""
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=25)

    def day(n, hours=0):
        return start + dt.timedelta(days=n, hours=hours)

    sim = BillingSimulator(seed=29)
    product = sim.product("Studio", at=start)
    weekly = sim.price(product, 900, "usd", interval="week", at=start)
    weekly_plus = sim.price(product, 1500, "usd", interval="week", at=start)
    monthly = sim.price(product, 3000, "usd", interval="month", at=start)
    customers = [sim.customer(at=start, email=f"s{n}@example.com")["id"] for n in range(4)]
    upgrades = sim.subscribe(customers[0], [(weekly, 1)], at=day(1))
    sim.change_price(upgrades, at=day(10), price=weekly_plus)
    sim.subscribe(customers[1], [(monthly, 2)], at=day(2), trial_days=7)
    recovers = sim.subscribe(customers[2], [(weekly, 1)], at=day(1, 5))
    sim.fail_payment(recovers, at=day(7), outcome="recover", retry_days=(2,))
    pauses = sim.subscribe(customers[3], [(weekly, 1)], at=day(3))
    cancels = sim.subscribe(customers[3], [(monthly, 1)], at=day(4))
    sim.pause(pauses, at=day(12))
    sim.cancel(cancels, at=day(15))
    sim.advance(now - dt.timedelta(hours=1))
    return sim


def test_catch_up_over_subscription_events_fills_mrr_as_the_oracle(empty_stripe_double):
    sim = recent_business()
    serve(empty_stripe_double, sim, with_events=True)
    log = event_log(empty_stripe_double)
    assert [event["id"] for event in log] == [event["id"] for event in sim.sorted_events()]
    types = {event["type"] for event in log}
    assert {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.trial_will_end",
        "invoice.created",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.updated",
    } <= types

    out = io.StringIO()
    call_command("sync_stripe_events", stdout=out)

    assert f"seen {len(log)}, new {len(log)}, already processed 0, failed 0" in out.getvalue()
    assert StripeEventReceipt.objects.filter(status="processed").count() == len(log)
    oracle = oracle_of(sim)
    assert_warehouse_equals(oracle)
    assert {m.movement_type for m in oracle.movements()} >= {"new", "expansion", "churn"}
    stored = set(FactInvoiceLine.objects.values_list("line_id", flat=True))
    where = {
        line["id"]: (invoice["status"], line["parent"]["type"], line["amount"])
        for invoice in sim.invoices.values()
        for line in invoice["lines"]["data"]
    }
    assert stored == {line.line_id for line in oracle.lines}, [
        where.get(line_id) for line_id in stored ^ {line.line_id for line in oracle.lines}
    ]
    movements = FactMrrMovement.objects.count()

    # loading the same objects and events again adds no event; a second run processes none
    serve(empty_stripe_double, sim, with_events=True)
    rerun = io.StringIO()
    call_command("sync_stripe_events", stdout=rerun)
    assert ", new 0, " in rerun.getvalue()
    assert FactMrrMovement.objects.count() == movements
