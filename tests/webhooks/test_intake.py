"""The webhook intake over real HTTP (live server): what it refuses, and what it keeps of a
refusal (a counted row, never the body or headers)."""

import json
import time

import pytest
import requests
import stripe

from devtools import webhook_delivery
from warehouse.models import DimCustomer
from webhooks.models import RejectedWebhookDelivery

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _triggers():
    from djstripe.models import WebhookEventTrigger

    return WebhookEventTrigger.objects


def _post(url, body: bytes, headers: dict):
    return requests.post(
        url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=60
    )


def _signed(body: bytes, secret: str, timestamp: int | None = None) -> dict:
    return {"Stripe-Signature": webhook_delivery.signature_header(body, secret, timestamp)}


@pytest.fixture
def known_customer(shop, deliver_ok):
    customer = shop.customer(email="kept@example.com")
    deliver_ok("customer.created", stripe.Customer.retrieve(customer.id))
    assert DimCustomer.objects.get(stripe_id=customer.id).deleted is False
    return customer


def test_djstripe_secret_header_is_never_honoured_even_with_debug_on(
    settings, webhook_endpoint, stripe_event, known_customer
):
    """Finding 1: with DEBUG on, dj-stripe lets X-Djstripe-Webhook-Secret replace the
    endpoint secret; a forged customer.deleted signed with the sender's own secret was
    accepted."""
    settings.DEBUG = True
    forged = json.dumps(
        stripe_event(
            "customer.deleted",
            {**stripe.Customer.retrieve(known_customer.id).to_dict(), "deleted": True},
        )
    ).encode()
    own_secret = "whsec_chosen_by_the_attacker"

    forged_response = _post(
        webhook_endpoint.url,
        forged,
        {**_signed(forged, own_secret), "X-Djstripe-Webhook-Secret": own_secret},
    )
    # Not even a correctly signed request may carry the header.
    genuine_with_header = _post(
        webhook_endpoint.url,
        forged,
        {**_signed(forged, webhook_endpoint.secret), "X-Djstripe-Webhook-Secret": own_secret},
    )

    assert (forged_response.status_code, genuine_with_header.status_code) == (400, 400)
    assert DimCustomer.objects.get(stripe_id=known_customer.id).deleted is False
    assert not _triggers().filter(body__contains="customer.deleted").exists()
    assert RejectedWebhookDelivery.objects.get().reason == "secret_header"


def test_oversized_body_answers_413_and_stores_nothing_of_it(settings, webhook_endpoint):
    """Finding 3: any body with a Stripe-Signature header was stored (up to 2.5 MB)."""
    body = b'{"id": "evt_big", "livemode": false, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'

    response = _post(webhook_endpoint.url, body, _signed(body, webhook_endpoint.secret))

    assert response.status_code == 413
    assert not _triggers().exists()
    rejected = RejectedWebhookDelivery.objects.get()
    assert (rejected.reason, rejected.largest_body_bytes) == ("body_too_large", len(body))


def test_bad_signatures_are_counted_not_stored(webhook_endpoint, stripe_event):
    """Finding 3: every request with any Stripe-Signature header stored its body and
    headers, twice; now twenty forged requests leave one counted row."""
    body = json.dumps(stripe_event("customer.created", {"id": "cus_x"})).encode()

    statuses = {
        _post(webhook_endpoint.url, body, _signed(body, "whsec_wrong")).status_code
        for _ in range(20)
    }

    assert statuses == {400}
    assert not _triggers().exists()
    rejected = RejectedWebhookDelivery.objects.get()
    assert (rejected.reason, rejected.request_count, rejected.remote_addr) == (
        "bad_signature",
        20,
        "127.0.0.1",
    )


def test_deeply_nested_body_is_refused_before_parsing(webhook_endpoint):
    """Finding 3: a 100,000-deep body answered 500 with a RecursionError traceback stored.
    Unsigned it fails the signature check (no parse at all); signed it fails the depth
    check."""
    deep = b"[" * 100_000 + b"]" * 100_000

    unsigned = _post(webhook_endpoint.url, deep, _signed(deep, "whsec_wrong"))
    signed = _post(webhook_endpoint.url, deep, _signed(deep, webhook_endpoint.secret))

    assert (unsigned.status_code, signed.status_code) == (400, 400)
    assert not _triggers().exists()
    assert set(RejectedWebhookDelivery.objects.values_list("reason", flat=True)) == {
        "bad_signature",
        "too_deeply_nested",
    }


@pytest.mark.parametrize("offset", [3600, -3600], ids=["future", "past"])
def test_signature_timestamps_beyond_the_tolerance_are_refused(
    webhook_endpoint, stripe_event, known_customer, offset
):
    """Finding 11: a timestamp far in the future was accepted (stripe-python only bounds the
    past)."""
    body = json.dumps(
        stripe_event("customer.updated", stripe.Customer.retrieve(known_customer.id))
    ).encode()
    timestamp = int(time.time()) + offset
    assert abs(offset) > webhook_endpoint.djstripe_tolerance

    response = _post(webhook_endpoint.url, body, _signed(body, webhook_endpoint.secret, timestamp))
    within = _post(
        webhook_endpoint.url, body, _signed(body, webhook_endpoint.secret, int(time.time()) + 60)
    )

    assert (response.status_code, within.status_code) == (400, 200)
    assert RejectedWebhookDelivery.objects.get().reason == "timestamp_out_of_tolerance"
