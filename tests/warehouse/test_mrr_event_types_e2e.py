"""Each subscription and invoice event type the issue lists, and `plan.*`, reaches the
warehouse on its own, over real HTTP: signed events posted to a live server, dj-stripe
re-reading the object from the Stripe double.

Every case runs a one-customer simulated business (devtools.billing) in two stages. After
stage 1 every event is delivered and the warehouse equals the plain-Python oracle. Stage 2
is the action that makes the event type under test (pause, resume, a trial about to end, a
cancellation that voids an open invoice, a dunning that gives up, a failed retry); the
double then holds the new state. The stage's other events are delivered first; where the
event type carries a change MRR depends on, the warehouse must differ from the oracle then
(the test would pass without the event otherwise). Then the customer's MRR facts and marts
are emptied and only the events of the type under test are delivered: they alone must bring
the warehouse back to the oracle over the new state, invoice line statuses included.
"""

import datetime as dt

import pytest
import requests
import stripe

from devtools.billing import BillingSimulator
from tests.warehouse.test_mrr import (
    assert_warehouse_equals,
    oracle_movements,
    warehouse_customer_months,
    warehouse_movements,
)
from tests.warehouse.test_mrr_webhooks_e2e import oracle_of, serve
from warehouse.models import (
    DimPrice,
    FactInvoiceLine,
    FactMrrChange,
    FactMrrMovement,
    MartMrrCohort,
    MartMrrCustomerMonth,
    MartMrrDay,
    MartMrrMonthMovement,
    MartMrrPriceDay,
    MartMrrPriceMonth,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def at(month, day, hour=10):
    return dt.datetime(2025, month, day, hour, tzinfo=dt.UTC)


def deliver_all(deliver_event, events) -> None:
    for event in events:
        response = deliver_event(event)
        assert response.status_code == 200, (event["type"], response.text[:300])


def empty_mrr_warehouse() -> None:
    # the day and month marts of movements and prices too: their deltas subtract the stored
    # facts, which this empties
    for model in (
        MartMrrDay,
        MartMrrPriceDay,
        MartMrrPriceMonth,
        MartMrrCohort,
        MartMrrMonthMovement,
        MartMrrCustomerMonth,
        FactMrrMovement,
        FactMrrChange,
        FactInvoiceLine,
    ):
        model.objects.all().delete()


def line_statuses() -> set[tuple[str, str]]:
    return set(FactInvoiceLine.objects.values_list("line_id", "invoice_status"))


def expected_line_statuses(sim: BillingSimulator) -> set[tuple[str, str]]:
    """Lines of subscription items on invoices that are not void, with the invoice status."""
    return {
        (line["id"], invoice["status"])
        for invoice in sim.invoices.values()
        if invoice["status"] != "void"
        for line in invoice["lines"]["data"]
        if (line.get("parent") or {}).get("subscription_item_details")
    }


def business():
    sim = BillingSimulator(seed=47)
    start = at(1, 1)
    product = sim.product("Team", at=start)
    monthly = sim.price(product, 2000, "usd", interval="month", at=start)
    customer = sim.customer(at=start, email="team@example.com")["id"]
    return sim, monthly, customer


def paused():
    sim, monthly, customer = business()
    sub = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2))
    sim.advance(at(1, 10))

    def stage_two():
        sim.pause(sub, at=at(1, 10, 12))
        sim.advance(at(3, 20))

    return sim, stage_two


def resumed():
    sim, monthly, customer = business()
    sub = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2))
    sim.pause(sub, at=at(1, 10))
    sim.advance(at(3, 1))

    def stage_two():
        sim.resume(sub, at=at(3, 15))
        sim.advance(at(3, 20))

    return sim, stage_two


def trial_will_end():
    sim, monthly, customer = business()
    sim.subscribe(customer, [(monthly, 1)], at=at(1, 1, 12))  # MRR to rebuild
    sim.subscribe(customer, [(monthly, 2)], at=at(1, 2), trial_days=7)
    sim.advance(at(1, 3))

    def stage_two():
        sim.advance(at(1, 7))  # the notice comes 3 days before the trial ends (Jan 9)

    return sim, stage_two


def voided():
    sim, monthly, customer = business()
    sub = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2))
    sim.fail_payment(sub, at=at(2, 1), outcome="recover", retry_days=(10,))
    sim.advance(at(2, 3))  # the Feb 2 renewal failed: open, retried on Feb 12

    def stage_two():
        sim.cancel(sub, at=at(2, 6))  # now: the open renewal invoice is voided

    return sim, stage_two


def marked_uncollectible():
    sim, monthly, customer = business()
    sub = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2))
    sim.fail_payment(sub, at=at(2, 1), outcome="canceled", retry_days=(3,))
    sim.advance(at(2, 3))

    def stage_two():
        sim.advance(at(2, 10))  # the last retry fails: uncollectible, subscription canceled

    return sim, stage_two


def updated():
    sim, monthly, customer = business()
    sub = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2))
    sim.fail_payment(sub, at=at(2, 1), outcome="recover", retry_days=(3, 6))
    sim.advance(at(2, 3))

    def stage_two():
        sim.advance(at(2, 6))  # the first retry fails: next_payment_attempt moves on

    return sim, stage_two


# event type -> (scenario, whether the event carries a change MRR depends on)
CASES = {
    "customer.subscription.paused": (paused, True),
    "customer.subscription.resumed": (resumed, True),
    "customer.subscription.trial_will_end": (trial_will_end, False),
    # the subscription's `latest_invoice` is the voided one: dj-stripe re-reads it with the
    # subscription.deleted of the same cancellation, so the void is no news to MRR
    "invoice.voided": (voided, False),
    "invoice.marked_uncollectible": (marked_uncollectible, False),
    "invoice.updated": (updated, False),
}


@pytest.mark.parametrize("event_type", list(CASES))
def test_event_type_alone_brings_the_warehouse_to_the_oracle(
    event_type, empty_stripe_double, deliver_event
):
    scenario, changes_mrr = CASES[event_type]
    sim, stage_two = scenario()
    serve(empty_stripe_double, sim)
    deliver_all(deliver_event, sim.events)
    assert_warehouse_equals(oracle_of(sim))
    assert line_statuses() == expected_line_statuses(sim)
    before = len(sim.events)

    stage_two()
    new_events = sim.events[before:]
    under_test = [event for event in new_events if event["type"] == event_type]
    assert under_test, f"stage two made no {event_type}"
    serve(empty_stripe_double, sim)
    deliver_all(deliver_event, [event for event in new_events if event["type"] != event_type])
    oracle = oracle_of(sim)
    if changes_mrr:
        assert (warehouse_movements(), warehouse_customer_months()) != (
            oracle_movements(oracle),
            oracle.customer_months(),
        ), f"the warehouse already equals the oracle without {event_type}"

    empty_mrr_warehouse()
    deliver_all(deliver_event, under_test)
    assert_warehouse_equals(oracle)
    assert line_statuses() == expected_line_statuses(sim)
    assert FactInvoiceLine.objects.exists()


def test_plan_events_sync_the_price_with_the_plan_id(empty_stripe_double, deliver_ok):
    """dj-stripe 2.11 has no Plan model and ignores plan events: the warehouse retrieves the
    price with the plan's id (a plan is a price) and syncs it into dim_price. A plan deleted
    from Stripe keeps its dim_price row: invoice lines of the past still name it."""
    sim = BillingSimulator(seed=48)
    product = sim.product("Team", at=at(1, 1))
    quarterly = sim.price(product, 6000, "eur", interval="month", interval_count=3, at=at(1, 1))
    serve(empty_stripe_double, sim)

    def plan_from_the_double() -> dict:
        response = requests.get(
            f"{empty_stripe_double}/v1/plans/{quarterly['id']}",
            auth=(stripe.api_key, ""),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    plan = plan_from_the_double()
    assert plan["object"] == "plan"

    deliver_ok("plan.created", plan)
    row = DimPrice.objects.get(stripe_id=quarterly["id"])
    assert (row.currency, row.unit_amount, row.interval, row.interval_count) == (
        "eur",
        6000,
        "month",
        3,
    )
    assert row.monthly_amount == 2000  # 6000 a quarter = 2000 a month
    assert row.product_id == product["id"]

    sim.update_price(quarterly, at=at(1, 5), nickname="Team quarterly")
    serve(empty_stripe_double, sim)
    deliver_ok("plan.updated", plan_from_the_double())
    assert DimPrice.objects.get(stripe_id=quarterly["id"]).nickname == "Team quarterly"

    requests.delete(f"{empty_stripe_double}/_config/data", timeout=10).raise_for_status()
    deliver_ok("plan.deleted", {**plan, "deleted": True})
    assert DimPrice.objects.get(stripe_id=quarterly["id"]).nickname == "Team quarterly"
