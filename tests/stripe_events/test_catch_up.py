"""The catch-up from Stripe's event log: what the webhooks missed, processed the webhooks'
way, once."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from stripe_events.models import EventLogCursor, StripeEventReceipt
from tests.stripe_events.conftest import event_log, inject_events
from tests.warehouse.conftest import warehouse_snapshot
from warehouse.models import DimDate, FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
T = FactTransaction.TransactionType


def _business(shop):
    """Two customers: one pays 50.00 and gets 10.00 back, one pays 30.00."""
    first = shop.customer(email="first@example.com", metadata={"user_id": "u-1"})
    _, first_charge = shop.pay(first.id, shop.card(first.id).id, 5000, "usd")
    refund = shop.refund(first_charge.id, amount=1000)
    second = shop.customer(email="second@example.com", metadata={"user_id": "u-2"})
    _, second_charge = shop.pay(second.id, shop.card(second.id).id, 3000, "usd")
    return first, first_charge, refund, second, second_charge


def _forget_everything_stripe():
    """Empty dj-stripe's tables, the warehouse (but its calendar) and the event receipts."""
    models = [
        *apps.get_app_config("djstripe").get_models(),
        *(m for m in apps.get_app_config("warehouse").get_models() if m is not DimDate),
        *apps.get_app_config("stripe_events").get_models(),
    ]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def _sync(*args) -> str:
    out = io.StringIO()
    call_command("sync_stripe_events", *args, stdout=out)
    return out.getvalue()


def test_catch_up_ends_with_the_warehouse_the_webhooks_make(
    empty_stripe_double, shop, deliver_event
):
    _business(shop)
    log = event_log(empty_stripe_double)
    for event in log:
        assert deliver_event(event).status_code == 200
    by_webhooks = warehouse_snapshot()
    _forget_everything_stripe()

    output = _sync()

    assert warehouse_snapshot() == by_webhooks
    assert f"seen {len(log)}, new {len(log)}, already processed 0, failed 0, unresolved 0" in output
    assert StripeEventReceipt.objects.filter(status="processed").count() == len(log)


def test_catch_up_processes_only_what_the_webhooks_missed_and_resumes_from_its_cursor(
    empty_stripe_double, shop, deliver_event
):
    from djstripe.models import Event

    first, first_charge, refund, second, second_charge = _business(shop)
    log = event_log(empty_stripe_double)
    delivered = log[: len(log) // 2]
    for event in delivered:
        assert deliver_event(event).status_code == 200

    output = _sync()

    missed = len(log) - len(delivered)
    assert f"seen {len(log)}, new {missed}, already processed {len(delivered)}, failed 0" in output
    assert Event.objects.count() == len(log)
    assert StripeEventReceipt.objects.filter(source="event_log").count() == missed
    charge = FactTransaction.objects.get(stripe_id=first_charge.id, transaction_type=T.CHARGE)
    assert charge.amount == 5000
    assert FactTransaction.objects.get(stripe_id=refund.id).amount == -1000
    assert FactTransaction.objects.get(stripe_id=second_charge.id).amount == 3000
    assert FactCustomerMonth.objects.get(customer_id=first.id).net == 4000
    assert FactCustomerMonth.objects.get(customer_id=second.id).net == 3000
    cursor = EventLogCursor.objects.get(livemode=False)
    assert cursor.last_event_id == log[-1]["id"]
    assert cursor.last_run_missing == missed and cursor.last_run_lag_seconds >= 0

    # Nothing new: the next run lists from the cursor's second and processes nothing.
    rerun = _sync()
    assert ", new 0, " in rerun and "failed 0, unresolved 0" in rerun
    assert Event.objects.count() == len(log)


def test_catch_up_exits_non_zero_and_lists_an_event_whose_object_is_gone(empty_stripe_double):
    (event_id,) = inject_events(
        empty_stripe_double,
        [{"type": "charge.succeeded", "data": {"object": {"id": "ch_gone", "object": "charge"}}}],
    )

    with pytest.raises(CommandError) as raised:
        _sync()

    assert raised.value.returncode == 1
    receipt = StripeEventReceipt.objects.get(event_id=event_id)
    assert receipt.status == "unresolved" and "ch_gone" in receipt.reason


def test_since_must_be_a_date():
    with pytest.raises(CommandError, match="--since must be a date"):
        _sync("--since", "yesterday")
