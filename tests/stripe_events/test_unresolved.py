"""Never drop an event silently: an event whose object the Stripe API cannot return is
answered 200, stores nothing, is listed as unresolved with the reason, and a later retry
processes it; the same for every event type."""

import logging

import pytest
import stripe
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.ports import free_port
from stripe_events.models import StripeEventReceipt
from warehouse.models import DimCustomer, FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
Status = StripeEventReceipt.Status
T = FactTransaction.TransactionType


def _history(shop) -> dict:
    """A customer who paid 50.00, was refunded 10.00 and disputed: an object of each kind."""
    customer = shop.customer()
    card = shop.card(customer.id)
    intent, charge = shop.pay(customer.id, card.id, 5000, "usd")
    refund = shop.refund(charge.id, amount=1000)
    dispute = shop.open_dispute(charge.id)
    return {
        "customer.created": stripe.Customer.retrieve(customer.id),
        "payment_method.attached": stripe.PaymentMethod.retrieve(card.id),
        "payment_intent.succeeded": stripe.PaymentIntent.retrieve(intent.id),
        "charge.succeeded": stripe.Charge.retrieve(charge.id),
        "charge.refunded": stripe.Charge.retrieve(charge.id),
        "refund.created": stripe.Refund.retrieve(refund.id),
        "charge.dispute.created": dispute,
    }


def test_missing_objects_stay_unresolved_for_every_type_until_a_retry_finds_them(
    shop, deliver_event, stripe_event, api_switch
):
    from djstripe.models import Event, WebhookEventTrigger

    history = _history(shop)
    events = {kind: stripe_event(kind, obj) for kind, obj in history.items()}
    charge_id, refund_id = history["charge.succeeded"]["id"], history["refund.created"]["id"]
    customer_id = history["customer.created"]["id"]

    api_switch.other_account()
    statuses = {kind: deliver_event(event).status_code for kind, event in events.items()}

    assert statuses == dict.fromkeys(events, 200)
    receipts = {r.event_type: r for r in StripeEventReceipt.objects.all()}
    assert {kind: r.status for kind, r in receipts.items()} == dict.fromkeys(events, "unresolved")
    for kind, receipt in receipts.items():
        assert "cannot be retrieved from Stripe (HTTP 404 resource_missing" in receipt.reason, kind
    assert not Event.objects.exists()  # nothing marked processed: a retry will process them
    assert not WebhookEventTrigger.objects.filter(processed=True).exists()
    assert not FactTransaction.objects.exists() and not DimCustomer.objects.exists()

    api_switch.double()
    call_command("retry_unresolved_events")

    assert set(StripeEventReceipt.objects.values_list("status", flat=True)) == {"processed"}
    assert Event.objects.count() == len(events)
    assert DimCustomer.objects.filter(stripe_id=customer_id).exists()
    assert (
        FactTransaction.objects.get(stripe_id=charge_id, transaction_type=T.CHARGE).amount == 5000
    )
    assert FactTransaction.objects.get(stripe_id=refund_id).amount == -1000
    month = FactCustomerMonth.objects.get(customer_id=customer_id)
    assert (month.gross, month.refunds) == (5000, -1000)


def test_retry_command_exits_non_zero_while_objects_are_still_missing(
    shop, deliver_event, stripe_event, api_switch
):
    customer = shop.customer()
    _, charge = shop.pay(customer.id, shop.card(customer.id).id, 700, "eur")
    event = stripe_event("charge.succeeded", charge)
    api_switch.other_account()
    assert deliver_event(event).status_code == 200

    with pytest.raises(CommandError) as raised:
        call_command("retry_unresolved_events")

    assert raised.value.returncode == 1
    receipt = StripeEventReceipt.objects.get(event_id=event["id"])
    assert (receipt.status, receipt.attempts) == ("unresolved", 2)


def test_event_of_the_other_mode_is_unresolved_and_logged(
    shop, deliver_event, stripe_event, caplog
):
    customer = shop.customer()
    _, charge = shop.pay(customer.id, shop.card(customer.id).id, 900, "usd")
    event = stripe_event("charge.succeeded", charge)
    event["livemode"] = True

    with caplog.at_level(logging.ERROR, logger="stripe_events"):
        response = deliver_event(event)

    assert response.status_code == 200
    receipt = StripeEventReceipt.objects.get(event_id=event["id"])
    assert receipt.status == "unresolved"
    assert receipt.reason.startswith("mode mismatch: a live-mode event")
    assert not FactTransaction.objects.exists()
    assert any(
        "mode mismatch" in record.getMessage() and event["id"] in record.getMessage()
        for record in caplog.records
    )


def test_stripe_unreachable_is_a_failure_listed_as_failed_and_answered_500(
    shop, deliver_event, stripe_event, stripe_double
):
    customer = shop.customer()
    _, charge = shop.pay(customer.id, shop.card(customer.id).id, 1200, "usd")
    event = stripe_event("charge.succeeded", charge)
    stripe.api_base = f"http://127.0.0.1:{free_port()}"
    try:
        response = deliver_event(event)
    finally:
        stripe.api_base = stripe_double

    assert response.status_code == 500
    receipt = StripeEventReceipt.objects.get(event_id=event["id"])
    assert receipt.status == "failed" and "APIConnectionError" in receipt.reason

    assert deliver_event(event).status_code == 200  # Stripe's redelivery
    receipt.refresh_from_db()
    assert receipt.status == "processed"
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 1200
