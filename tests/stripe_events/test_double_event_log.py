"""The Stripe double's event log: events for the changes it makes, listed as Stripe lists them."""

import time

import pytest
import requests
import stripe

from tests.stripe_events.conftest import inject_events

pytestmark = pytest.mark.e2e


def _list(base_url, **params):
    response = requests.get(f"{base_url}/v1/events", params=params, timeout=10)
    return response.status_code, response.json()


def test_every_change_records_a_stripe_shaped_event(empty_stripe_double, shop):
    customer = shop.customer()
    card = shop.card(customer.id)
    intent, charge = shop.pay(customer.id, card.id, 2000, "usd")
    refund = shop.refund(charge.id, amount=500)
    dispute = shop.open_dispute(charge.id)
    stripe.Customer.modify(customer.id, metadata={"plan": "pro"})

    events = [event.to_dict() for event in stripe.Event.list(limit=100).auto_paging_iter()]
    events.reverse()

    assert [(e["type"], e["data"]["object"]["id"]) for e in events] == [
        ("customer.created", customer.id),
        ("payment_method.attached", card.id),
        ("payment_intent.created", intent.id),
        ("payment_intent.succeeded", intent.id),
        ("charge.succeeded", charge.id),
        ("refund.created", refund.id),
        ("charge.refunded", charge.id),
        ("charge.dispute.created", dispute["id"]),
        ("charge.dispute.funds_withdrawn", dispute["id"]),
        ("customer.updated", customer.id),
    ]
    for event in events:
        assert event["object"] == "event" and event["id"].startswith("evt_")
        assert event["livemode"] is False and isinstance(event["created"], int)
        assert stripe.Event.retrieve(event["id"]).type == event["type"]
    refunded = next(e for e in events if e["type"] == "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 500
    updated = next(e for e in events if e["type"] == "customer.updated")
    assert updated["data"]["object"]["metadata"]["plan"] == "pro"
    created = next(e for e in events if e["type"] == "customer.created")
    assert "plan" not in created["data"]["object"]["metadata"]  # a snapshot, as Stripe's


def test_listing_pages_and_filters_like_stripe(empty_stripe_double):
    now = int(time.time())
    types = ["charge.succeeded", "customer.created", "refund.created"]
    ids = inject_events(
        empty_stripe_double,
        [
            {"type": types[i % 3], "created": now - 1000 + i, "data": {"object": {"id": f"o{i}"}}}
            for i in range(25)
        ]
        + [{"type": "charge.succeeded", "created": now - 40 * 86400, "data": {"object": {}}}],
    )
    newest_first = list(reversed(ids[:25]))  # the 40-day-old event is past retention

    status, page = _list(empty_stripe_double, limit=10)
    assert (status, [e["id"] for e in page["data"]], page["has_more"]) == (
        200,
        newest_first[:10],
        True,
    )
    _, page = _list(empty_stripe_double, limit=10, starting_after=newest_first[19])
    assert ([e["id"] for e in page["data"]], page["has_more"]) == (newest_first[20:], False)
    _, page = _list(empty_stripe_double, limit=3, ending_before=newest_first[10])
    assert ([e["id"] for e in page["data"]], page["has_more"]) == (newest_first[7:10], True)
    _, page = _list(
        empty_stripe_double, limit=100, **{"created[gte]": now - 990, "created[lt]": now - 985}
    )
    assert [e["created"] for e in page["data"]] == [
        now - 986,
        now - 987,
        now - 988,
        now - 989,
        now - 990,
    ]
    _, page = _list(
        empty_stripe_double,
        limit=100,
        **{"types[0]": "refund.created", "types[1]": "customer.created"},
    )
    assert {e["type"] for e in page["data"]} == {"refund.created", "customer.created"}
    assert len(page["data"]) == 16
    _, page = _list(empty_stripe_double, limit=100, type="charge.*")
    assert [e["id"] for e in page["data"]] == [ids[i] for i in reversed(range(25)) if i % 3 == 0]

    assert _list(empty_stripe_double, limit=101)[0] == 400
    assert _list(empty_stripe_double, starting_after="evt_unknown")[0] == 400
    assert (
        requests.get(f"{empty_stripe_double}/v1/events/evt_unknown", timeout=10).status_code == 404
    )
