"""Concurrent delivery over real HTTP to a multi-worker server: no deadlock, no 500, and the
warehouse equals the rebuild and a plain-Python computation; a database connection killed
under the server is survived.

The server is gunicorn (several worker processes, several threads each, persistent database
connections, as deployed) on the test database; the Stripe API double answers every read
150 ms late, so deliveries about the same charges overlap as they do in production.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import stripe
from django.conf import settings
from django.db import connection

from devtools import webhook_delivery
from devtools.ports import free_port, wait_for_port
from tests.conftest import stripe_api_at, stripe_double_process
from tests.warehouse.conftest import StripeShop, report_aggregates_snapshot, warehouse_snapshot
from tests.warehouse.test_report_aggregates import expected_aggregates
from warehouse.models import FactCustomerMonth, FactTransaction
from warehouse.services import rebuild_warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[2]
API_READ_DELAY_MS = 150
CLIENTS = 16


@pytest.fixture(scope="module")
def slow_stripe_double_url():
    """A Stripe API double of its own that answers every read 150 ms late."""
    with stripe_double_process("--read-delay-ms", str(API_READ_DELAY_MS)) as url:
        yield url


@pytest.fixture
def slow_shop(slow_stripe_double_url):
    with stripe_api_at(slow_stripe_double_url):
        yield StripeShop(slow_stripe_double_url)


def _start_gunicorn(api_base: str, *, workers: int, threads: int):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
        "TEST_DATABASE_NAME": connection.settings_dict["NAME"],
        "STRIPE_API_HOST": api_base,
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "stripe_dwh.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for_port(port, process, "gunicorn", timeout=60)
    return process, f"http://127.0.0.1:{port}"


def _endpoint_url(base_url: str) -> str:
    from djstripe.models import WebhookEndpoint

    url = f"{base_url}/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/"
    WebhookEndpoint.objects.update_or_create(
        djstripe_uuid=settings.STRIPE_WEBHOOK_UUID,
        defaults={
            "id": "we_" + "concurrent" * 2,
            "livemode": False,
            "api_version": "",
            "enabled_events": ["*"],
            "secret": settings.STRIPE_WEBHOOK_SECRET,
            "status": "enabled",
            "url": url,
        },
    )
    return url


@pytest.fixture
def gunicorn_url(slow_stripe_double_url):
    process, base_url = _start_gunicorn(slow_stripe_double_url, workers=4, threads=4)
    try:
        yield _endpoint_url(base_url)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post_all(url: str, bodies: list[bytes]) -> list[int]:
    local = threading.local()

    def post(body: bytes) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": webhook_delivery.signature_header(
                body, settings.STRIPE_WEBHOOK_SECRET
            ),
        }
        return session.post(url, data=body, headers=headers, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return list(pool.map(post, bodies))


def _business(shop: StripeShop) -> dict:
    """Customers with charges, partial refunds and disputes (won and lost) in the double."""
    business = {"charges": [], "refunds": [], "disputes": []}
    for number in range(5):
        customer = shop.customer(email=f"c{number}@example.com", metadata={"user_id": f"u{number}"})
        card = shop.card(customer.id)
        for amount in (1000 + 100 * number, 2500 + 100 * number):
            _, charge = shop.pay(customer.id, card.id, amount, "usd")
            business["charges"].append(charge.id)
    for charge_id in business["charges"][::3]:
        business["refunds"].append(shop.refund(charge_id, amount=300).id)
    for number, charge_id in enumerate(business["charges"][1::4]):
        dispute = shop.open_dispute(charge_id, fee=1500)
        business["disputes"].append(shop.close_dispute(dispute["id"], ("won", "lost")[number % 2]))
    return business


def _event_stream(business: dict, stripe_event) -> list[bytes]:
    """Every event of the business, each delivered twice (same event id) plus a re-sent copy
    (new event id) of some, shuffled: charge.succeeded, charge.refunded and refund.created of
    one charge, and the dispute's events, arrive together."""
    events = []
    for charge_id in business["charges"]:
        charge = stripe.Charge.retrieve(charge_id)
        events.append(stripe_event("charge.succeeded", charge))
        if charge.amount_refunded:
            events.append(stripe_event("charge.refunded", charge))
    for refund_id in business["refunds"]:
        events.append(stripe_event("refund.created", stripe.Refund.retrieve(refund_id)))
    for dispute in business["disputes"]:
        for event_type in ("charge.dispute.created", "charge.dispute.closed"):
            events.append(stripe_event(event_type, dispute))
    resent = [stripe_event(event["type"], event["data"]["object"]) for event in events[::2]]
    bodies = [json.dumps(event).encode() for event in events + events + resent]
    random.Random(12).shuffle(bodies)
    return bodies


def _expected_customer_months(business: dict, tz) -> dict:
    """Per customer and month, from the double's own objects (plain Python): gross, refunds,
    disputes, net and succeeded charge count."""
    import datetime as dt

    totals = defaultdict(lambda: [0, 0, 0, 0])

    def key(customer_id, created):
        local = dt.datetime.fromtimestamp(created, tz)
        return customer_id, dt.date(local.year, local.month, 1)

    charges = {charge_id: stripe.Charge.retrieve(charge_id) for charge_id in business["charges"]}
    for charge in charges.values():
        row = totals[key(charge.customer, charge.created)]
        row[0] += charge.amount
        row[3] += 1
    for refund_id in business["refunds"]:
        refund = stripe.Refund.retrieve(refund_id)
        totals[key(charges[refund.charge].customer, refund.created)][1] -= refund.amount
    for dispute in business["disputes"]:
        customer_id = charges[dispute["charge"]].customer
        for balance in dispute["balance_transactions"]:
            totals[key(customer_id, balance["created"])][2] += balance["amount"]
    return {
        key_: (gross, refunds, disputes, gross + refunds + disputes, count)
        for key_, (gross, refunds, disputes, count) in totals.items()
    }


def test_concurrent_stream_about_the_same_charges_has_no_deadlock_and_adds_up(
    slow_shop, gunicorn_url, stripe_event
):
    from djstripe.models import WebhookEventTrigger

    business = _business(slow_shop)
    bodies = _event_stream(business, stripe_event)

    statuses = _post_all(gunicorn_url, bodies)

    failures = list(
        WebhookEventTrigger.objects.exclude(exception="").values_list("exception", flat=True)
    )
    assert Counter(statuses) == {200: len(bodies)}, failures
    assert failures == []
    tz = ZoneInfo(settings.TIME_ZONE)
    stored = {
        (month.customer_id, month.month): (
            month.gross,
            month.refunds,
            month.disputes,
            month.net,
            month.charge_count,
        )
        for month in FactCustomerMonth.objects.all()
    }
    assert stored == _expected_customer_months(business, tz)
    assert report_aggregates_snapshot() == expected_aggregates(tz)
    delivered = warehouse_snapshot()
    rebuild_warehouse()
    assert warehouse_snapshot() == delivered


def _terminate_server_connections() -> int:
    """pg_terminate_backend on every other connection to the test database (the server's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity "
            "where datname = current_database() and pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_connection_terminated_during_and_between_deliveries_is_survived(
    slow_shop, slow_stripe_double_url, stripe_event
):
    process, base_url = _start_gunicorn(slow_stripe_double_url, workers=1, threads=1)
    try:
        url = _endpoint_url(base_url)
        customer = slow_shop.customer()
        card = slow_shop.card(customer.id)
        charges = [slow_shop.pay(customer.id, card.id, amount, "usd")[1] for amount in (700, 900)]
        first = json.dumps(stripe_event("charge.succeeded", charges[0])).encode()
        second = json.dumps(stripe_event("charge.succeeded", charges[1])).encode()
        assert _post_all(url, [first]) == [200]

        # Between requests: the worker's persistent connection dies while idle.
        assert _terminate_server_connections() >= 1
        assert _post_all(url, [second]) == [200]

        # During a request: killed while the delivery (of an event not seen yet, so dj-stripe
        # retrieves its charge) waits on the slow Stripe API, its transaction open.
        third = json.dumps(stripe_event("charge.updated", charges[0])).encode()
        outcome = {}
        delivery = threading.Thread(
            target=lambda: outcome.setdefault("status", _post_all(url, [third])[0])
        )
        delivery.start()
        time.sleep(3 * API_READ_DELAY_MS / 1000)  # a new event: dj-stripe retrieves its charge
        _terminate_server_connections()
        delivery.join(timeout=120)
        assert outcome["status"] in (200, 500)  # Stripe retries a 500
        assert _post_all(url, [third]) == [200]  # Stripe's retry gets a new connection
    finally:
        process.terminate()
        process.wait(timeout=30)

    facts = {f.stripe_id: f.amount for f in FactTransaction.objects.all()}
    assert facts == {charges[0].id: 700, charges[1].id: 900}
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 1600
