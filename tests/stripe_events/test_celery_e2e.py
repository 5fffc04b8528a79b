"""Celery mode with a real broker (a throwaway redis-server per test), real processes
(gunicorn, `celery worker`, `celery beat`) and signed webhooks over HTTP."""

from urllib.parse import quote

import pytest
import requests
import stripe
from django.conf import settings
from django.db import connection

from devtools import webhook_delivery
from devtools.celery_stack import CeleryStack, RedisBroker, wait_until
from stripe_events.models import StripeEventReceipt
from warehouse.models import FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
T = FactTransaction.TransactionType


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER']}@{host}{port}/{db['NAME']}"


def _set_latency(stripe_double: str, ms: int) -> None:
    requests.post(
        f"{stripe_double}/_config/latency", json={"ms": ms}, timeout=10
    ).raise_for_status()


@pytest.fixture
def broker():
    redis = RedisBroker()
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def stack(broker, stripe_double, tmp_path):
    processes = CeleryStack(
        _database_url(),
        stripe_double,
        broker,
        STRIPE_EVENTS_REQUEUE_AFTER=3,
        STRIPE_EVENTS_SWEEP_INTERVAL=1,
        CELERY_VISIBILITY_TIMEOUT=3600,  # recovery below is the sweeper's, not Redis's
    )
    try:
        processes.start_web()
        processes.start_beat(tmp_path)
        yield processes
    finally:
        processes.stop()
        _set_latency(stripe_double, 0)


@pytest.fixture
def deliver(stack):
    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        id="we_celerytest000000000000",
        livemode=False,
        api_version="",
        enabled_events=["*"],
        secret=settings.STRIPE_WEBHOOK_SECRET,
        status="enabled",
        url=f"http://127.0.0.1:{stack.web_port}/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/",
        djstripe_uuid=settings.STRIPE_WEBHOOK_UUID,
    )

    def post(event):
        return webhook_delivery.deliver(endpoint.url, event, endpoint.secret)

    return post


def _paid_charge_event(shop, stripe_event, amount):
    customer = shop.customer()
    _, charge = shop.pay(customer.id, shop.card(customer.id).id, amount, "usd")
    return customer, charge, stripe_event("charge.succeeded", stripe.Charge.retrieve(charge.id))


def _receipt(event_id) -> StripeEventReceipt:
    return StripeEventReceipt.objects.get(event_id=event_id)


def _processed(event_id) -> bool:
    return _receipt(event_id).status == "processed"


def test_signed_webhook_is_stored_answered_and_processed_by_a_worker(
    stack, deliver, shop, stripe_event, stripe_double
):
    from djstripe.models import Event

    customer, charge, event = _paid_charge_event(shop, stripe_event, 6100)
    stack.start_worker()
    _set_latency(stripe_double, 1500)  # every retrieval by the worker takes 1.5 s

    response = deliver(event)

    assert response.status_code == 200
    assert _receipt(event["id"]).status == "pending"  # answered before any processing
    wait_until(lambda: _processed(event["id"]), 120, message="worker processed the event")
    assert Event.objects.filter(id=event["id"]).count() == 1
    fact = FactTransaction.objects.get(stripe_id=charge.id, transaction_type=T.CHARGE)
    assert fact.amount == 6100
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 6100


def test_worker_killed_mid_task_leaves_the_event_to_be_processed_once_later(
    stack, deliver, shop, stripe_event, stripe_double
):
    from djstripe.models import Event

    _, charge, event = _paid_charge_event(shop, stripe_event, 7300)
    _set_latency(stripe_double, 5000)
    doomed = stack.start_worker()
    assert deliver(event).status_code == 200
    wait_until(lambda: _receipt(event["id"]).attempts >= 1, 120, message="worker started")

    stack.kill_worker(doomed)  # SIGKILL while it waits on the Stripe API

    assert _receipt(event["id"]).status == "pending"
    assert not Event.objects.filter(id=event["id"]).exists()
    _set_latency(stripe_double, 0)
    stack.start_worker()
    wait_until(lambda: _processed(event["id"]), 120, message="swept and processed")
    assert _receipt(event["id"]).attempts >= 2
    assert Event.objects.filter(id=event["id"]).count() == 1
    assert FactTransaction.objects.filter(stripe_id=charge.id).count() == 1
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 7300


def test_broker_down_the_webhook_still_stores_and_the_sweeper_enqueues_once_it_is_back(
    stack, broker, deliver, shop, stripe_event
):
    from djstripe.models import Event

    customer, charge, event = _paid_charge_event(shop, stripe_event, 8900)
    stack.start_worker()
    broker.kill()

    response = deliver(event)

    assert response.status_code == 200
    assert _receipt(event["id"]).status == "pending"
    broker.start()  # empty: whatever it held is gone
    wait_until(lambda: _processed(event["id"]), 180, message="swept and processed")
    assert Event.objects.filter(id=event["id"]).count() == 1
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 8900
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 8900
