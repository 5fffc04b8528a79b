"""Health at a glance: /healthz and the admin index show the last event processed, the lag
at the last catch-up and the unresolved and failed events; the admin retries them."""

import datetime as dt
import json

import pytest
import stripe
from django.contrib.auth.models import User
from django.utils import timezone

from stripe_events.models import EventLogCursor, StripeEventReceipt
from tests.factories import StripeEventReceiptFactory
from warehouse.models import FactTransaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("ops", password="pw", email="ops@example.com")
    client.force_login(user)
    return client


def _open_events():
    moment = timezone.now() - dt.timedelta(minutes=3)
    StripeEventReceiptFactory(status="processed", processed_at=moment)
    StripeEventReceiptFactory(status="processed", processed_at=moment - dt.timedelta(hours=1))
    StripeEventReceiptFactory.create_batch(2, status="unresolved", reason="No such charge")
    StripeEventReceiptFactory(status="failed", reason="APIConnectionError: sk_test_secret")
    StripeEventReceiptFactory(status="pending")
    EventLogCursor.objects.create(
        livemode=False,
        last_run_finished_at=moment,
        last_run_lag_seconds=4321.0,
        last_run_missing=17,
    )
    return moment


def test_healthz_reports_counts_and_times_without_secrets_or_customer_data(client):
    last_processed = _open_events()

    response = client.get("/healthz")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "degraded",
        "last_event_processed_at": last_processed.isoformat(),
        "events_pending": 1,
        "oldest_pending_received_at": StripeEventReceipt.objects.get(
            status="pending"
        ).received_at.isoformat(),
        "events_unresolved": 2,
        "events_failed": 1,
        "last_catch_up_at": last_processed.isoformat(),
        "catch_up_lag_seconds": 4321.0,
        "catch_up_missing_events": 17,
    }
    body = response.content.decode()
    assert "sk_test" not in body and "evt_" not in body and "charge" not in body


def test_healthz_is_ok_when_nothing_is_open(client):
    StripeEventReceiptFactory(status="processed", processed_at=timezone.now())
    payload = json.loads(client.get("/healthz").content)
    assert (payload["status"], payload["catch_up_lag_seconds"]) == ("ok", None)


def test_admin_index_shows_the_event_health(staff_client):
    _open_events()

    page = staff_client.get("/admin/").content.decode()

    assert "Stripe event processing: degraded" in page
    assert "4321 s (17 events missing" in page
    assert '?status__exact=unresolved">Unresolved events</a></th><td>2</td>' in page
    assert '?status__exact=failed">Failed events</a></th><td>1</td>' in page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_admin_retry_action_processes_an_unresolved_event(staff_client, shop, stripe_event):
    customer = shop.customer()
    _, charge = shop.pay(customer.id, shop.card(customer.id).id, 4200, "usd")
    event = stripe_event("charge.succeeded", stripe.Charge.retrieve(charge.id))
    receipt = StripeEventReceiptFactory(
        event_id=event["id"], status="unresolved", reason="No such charge", payload=event
    )

    response = staff_client.post(
        "/admin/stripe_events/stripeeventreceipt/",
        {"action": "retry_events", "_selected_action": [receipt.pk]},
        follow=True,
    )

    assert "Retried 1 events: 1 processed, 0 still unresolved, 0 failed." in (
        response.content.decode()
    )
    receipt.refresh_from_db()
    assert receipt.status == "processed"
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 4200
