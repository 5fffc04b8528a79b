"""Delivery semantics over real HTTP: duplicates, concurrency, order, faults and bad input."""

import http.server
import json
import threading

import pytest
import requests
import stripe
from django.conf import settings

from devtools import webhook_delivery
from devtools.ports import free_port
from tests.warehouse.conftest import warehouse_snapshot
from warehouse.models import DimCustomer, FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

T = FactTransaction.TransactionType


def _paid_charge(shop, amount=2500, currency="eur"):
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, amount, currency)
    return customer, charge


def _warehouse_is_empty() -> bool:
    return not (
        FactTransaction.objects.exists()
        or FactCustomerMonth.objects.exists()
        or DimCustomer.objects.exists()
    )


def test_same_event_twice_in_a_row_counts_once(shop, deliver_event, stripe_event):
    from djstripe.models import Event

    customer, charge = _paid_charge(shop)
    event = stripe_event("charge.succeeded", charge)

    first, second = deliver_event(event), deliver_event(event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert Event.objects.filter(id=event["id"]).count() == 1
    assert FactTransaction.objects.filter(stripe_id=charge.id).count() == 1
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 2500


def _deliver_concurrently(url: str, bodies: list[bytes]) -> list[int]:
    """POST each body from its own thread, released at the same instant."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int | None] = [None] * len(bodies)

    def post(index: int, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": webhook_delivery.signature_header(
                body, settings.STRIPE_WEBHOOK_SECRET
            ),
        }
        with requests.Session() as session:
            barrier.wait(timeout=30)
            statuses[index] = session.post(url, data=body, headers=headers, timeout=60).status_code

    threads = [threading.Thread(target=post, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return statuses


def test_same_event_delivered_concurrently_counts_once(shop, webhook_endpoint, stripe_event):
    from djstripe.models import Event, WebhookEventTrigger

    customer, charge = _paid_charge(shop, amount=4100)
    body = json.dumps(stripe_event("charge.succeeded", charge)).encode()

    statuses = _deliver_concurrently(webhook_endpoint.url, [body, body])

    assert statuses == [200, 200]
    assert WebhookEventTrigger.objects.count() == 2  # both requests really reached dj-stripe
    assert Event.objects.count() == 1
    assert FactTransaction.objects.filter(stripe_id=charge.id).count() == 1
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.charge_count) == (4100, 1)


def test_two_events_for_one_charge_delivered_concurrently_make_one_row(
    shop, webhook_endpoint, stripe_event
):
    customer = shop.customer()
    card = shop.card(customer.id)
    intent, charge = shop.pay(customer.id, card.id, 3300, "usd")
    bodies = [
        json.dumps(stripe_event("charge.succeeded", charge)).encode(),
        json.dumps(stripe_event("payment_intent.succeeded", intent)).encode(),
    ]

    statuses = _deliver_concurrently(webhook_endpoint.url, bodies)

    assert statuses == [200, 200]
    assert FactTransaction.objects.filter(stripe_id=charge.id).count() == 1
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 3300


def test_out_of_order_events_end_like_in_order_processing(shop, deliver_ok):
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 9000, "eur")
    stale_succeeded_charge = stripe.Charge.retrieve(charge.id)  # snapshot before the refund
    refund = shop.refund(charge.id, amount=2000)

    # Refund before its charge, and charge.succeeded after charge.refunded.
    deliver_ok("charge.refund.updated", stripe.Refund.retrieve(refund.id))
    deliver_ok("charge.refunded", stripe.Charge.retrieve(charge.id))
    deliver_ok("charge.succeeded", stale_succeeded_charge)

    charge_fact = FactTransaction.objects.get(stripe_id=charge.id)
    refund_fact = FactTransaction.objects.get(stripe_id=refund.id)
    assert (charge_fact.transaction_type, charge_fact.status, charge_fact.amount) == (
        T.CHARGE,
        "succeeded",
        9000,
    )
    assert (refund_fact.transaction_type, refund_fact.amount, refund_fact.settlement_amount) == (
        T.REFUND,
        -2000,
        -2000,
    )
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.refunds, month.net, month.charge_count) == (9000, -2000, 7000, 1)
    out_of_order = warehouse_snapshot()

    # The same history delivered in order (new event ids) changes nothing.
    deliver_ok("charge.succeeded", stale_succeeded_charge)
    deliver_ok("charge.refunded", stripe.Charge.retrieve(charge.id))
    deliver_ok("charge.refund.updated", stripe.Refund.retrieve(refund.id))
    assert warehouse_snapshot() == out_of_order


def test_stripe_unreachable_during_re_retrieval_answers_500_then_retry_succeeds(
    shop, deliver_event, stripe_event, stripe_double
):
    from djstripe.models import Event, WebhookEventTrigger

    customer, charge = _paid_charge(shop, amount=1234)
    event = stripe_event("charge.succeeded", charge)
    stripe.api_base = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        failed = deliver_event(event)
    finally:
        stripe.api_base = stripe_double

    assert failed.status_code == 500
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid and not trigger.processed
    assert trigger.exception and "Traceback" in trigger.traceback
    assert not Event.objects.exists() and _warehouse_is_empty()

    retried = deliver_event(event)

    assert retried.status_code == 200
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 1234
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 1234


class _FaultyStripeProxy(http.server.ThreadingHTTPServer):
    """Forwards to the Stripe double; answers 503 for paths starting with `failing_prefixes`."""

    daemon_threads = True

    def __init__(self, upstream: str):
        self.upstream = upstream
        self.failing_prefixes: tuple[str, ...] = ()
        self.log: list[tuple[str, int]] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def _forward(self):
        server: _FaultyStripeProxy = self.server
        if self.path.startswith(server.failing_prefixes):
            status, body, content_type = (
                503,
                json.dumps(
                    {"error": {"type": "api_error", "message": "simulated outage"}}
                ).encode(),
                "application/json",
            )
        else:
            length = int(self.headers.get("Content-Length") or 0)
            upstream = requests.request(
                self.command,
                server.upstream + self.path,
                data=self.rfile.read(length) if length else None,
                headers={
                    k: v
                    for k, v in self.headers.items()
                    if k.lower()
                    in ("authorization", "content-type", "stripe-version", "idempotency-key")
                },
                timeout=30,
            )
            status, body = upstream.status_code, upstream.content
            content_type = upstream.headers.get("Content-Type", "application/json")
        server.log.append((self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, *args):
        pass


@pytest.fixture
def faulty_stripe(stripe_double):
    proxy = _FaultyStripeProxy(stripe_double)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    previous_retries = stripe.max_network_retries
    stripe.api_base, stripe.max_network_retries = proxy.url, 0
    try:
        yield proxy
    finally:
        stripe.api_base, stripe.max_network_retries = stripe_double, previous_retries
        proxy.shutdown()
        proxy.server_close()


def test_failure_midway_rolls_back_everything_and_keeps_the_error(
    shop, deliver_event, stripe_event, faulty_stripe
):
    from djstripe.models import Charge, Event, WebhookEventTrigger

    customer, charge = _paid_charge(shop, amount=6000)
    refund = shop.refund(charge.id, amount=2500)
    event = stripe_event("charge.refunded", stripe.Charge.retrieve(charge.id))
    # The charge syncs (and its fact is written) before the refunds are listed; listing fails.
    faulty_stripe.failing_prefixes = ("/v1/refunds",)

    failed = deliver_event(event)

    assert failed.status_code == 500
    assert any(
        path.startswith(f"/v1/charges/{charge.id}") and status == 200
        for path, status in faulty_stripe.log
    ), faulty_stripe.log
    assert any(
        path.startswith("/v1/refunds") and status == 503 for path, status in faulty_stripe.log
    )
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.processed and "simulated outage" in trigger.traceback
    assert not Event.objects.exists() and not Charge.objects.exists()
    assert _warehouse_is_empty()

    faulty_stripe.failing_prefixes = ()
    retried = deliver_event(event)

    assert retried.status_code == 200
    assert {(f.stripe_id, f.amount) for f in FactTransaction.objects.all()} == {
        (charge.id, 6000),
        (refund.id, -2500),
    }
    assert FactCustomerMonth.objects.get(customer_id=customer.id).net == 3500


def test_bad_signatures_and_bodies_get_400_and_store_nothing(
    shop, webhook_endpoint, deliver_event, stripe_event
):
    from djstripe.models import Event

    _, charge = _paid_charge(shop)
    event = stripe_event("charge.succeeded", charge)
    body = json.dumps(event).encode()

    unsigned = requests.post(
        webhook_endpoint.url, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    wrong_secret = deliver_event(event, secret="whsec_not_the_endpoint_secret")
    tampered = requests.post(
        webhook_endpoint.url,
        data=body.replace(b"succeeded", b"SUCCEEDED"),
        timeout=30,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": webhook_delivery.signature_header(
                body, settings.STRIPE_WEBHOOK_SECRET
            ),
        },
    )
    not_json = deliver_event(b"this is not json {")
    json_array = deliver_event(b"[1, 2, 3]")
    not_an_event = deliver_event({"id": "cus_123", "object": "customer", "livemode": False})
    event_without_object = deliver_event({**event, "data": {"object": "ch_123"}})

    statuses = [
        r.status_code
        for r in (
            unsigned,
            wrong_secret,
            tampered,
            not_json,
            json_array,
            not_an_event,
            event_without_object,
        )
    ]
    assert statuses == [400] * 7
    assert not Event.objects.exists()
    assert _warehouse_is_empty()


def test_unknown_event_type_is_kept_by_djstripe_and_ignored_by_the_warehouse(
    deliver_event, stripe_event
):
    from djstripe.models import Event

    event = stripe_event("shipping_label.printed", {"id": "shl_123", "object": "shipping_label"})

    response = deliver_event(event)

    assert response.status_code == 200
    assert Event.objects.filter(id=event["id"], type="shipping_label.printed").exists()
    assert _warehouse_is_empty()
