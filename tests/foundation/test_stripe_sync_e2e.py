"""End to end: stripe-python → Stripe API double; signed event → live server → dj-stripe rows."""

from decimal import Decimal

import pytest
import stripe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signed_charge_event_is_synced_by_djstripe(stripe_double, deliver_event, stripe_event):
    from djstripe.models import Charge, Customer, Event, WebhookEventTrigger

    customer = stripe.Customer.create(email="ada@example.com", metadata={"user_id": "u-1"})
    payment_method = stripe.PaymentMethod.create(
        type="card",
        card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    )
    stripe.PaymentMethod.attach(payment_method.id, customer=customer.id)
    intent = stripe.PaymentIntent.create(
        amount=1999,
        currency="eur",
        customer=customer.id,
        payment_method=payment_method.id,
        confirm=True,
    )
    # localstripe answers with the pre-2022 shape (`charges` list) rather than `latest_charge`.
    charge = stripe.Charge.retrieve(intent.charges.data[0].id)

    response = deliver_event(stripe_event("charge.succeeded", charge))

    assert response.status_code == 200, response.text
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid and trigger.processed, trigger.traceback
    assert Event.objects.filter(type="charge.succeeded").count() == 1
    synced = Charge.objects.get(id=charge.id)
    assert (synced.amount, synced.currency, synced.status) == (Decimal("19.99"), "eur", "succeeded")
    assert Customer.objects.filter(id=customer.id, email="ada@example.com").exists()
