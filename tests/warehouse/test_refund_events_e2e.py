"""End to end: each refund event type on its own, and a charge whose status changes.

Objects are created in the Stripe double; only the event named by the test is delivered
(signed, over HTTP to the live server), so each receiver must record the change by itself.
Expected values are the amounts the test charged and refunded.
"""

import pytest
import stripe

from warehouse.models import FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

T = FactTransaction.TransactionType
REFUND_EVENTS = ["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"]
CHARGED, REFUNDED = 5000, 2000


def _charged_customer(shop, deliver_ok):
    """A customer with one succeeded 50.00 EUR charge, delivered before any refund exists
    (so the charge's own sync cannot bring the refund in)."""
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, CHARGED, "eur")
    deliver_ok("charge.succeeded", charge)
    assert not FactTransaction.objects.filter(transaction_type=T.REFUND).exists()
    return customer, charge


@pytest.mark.parametrize("event_type", REFUND_EVENTS)
def test_a_refund_event_alone_records_the_refund(shop, deliver_ok, event_type):
    customer, charge = _charged_customer(shop, deliver_ok)
    refund = shop.refund(charge.id, amount=REFUNDED)

    deliver_ok(event_type, stripe.Refund.retrieve(refund.id))

    fact = FactTransaction.objects.get(stripe_id=refund.id, transaction_type=T.REFUND)
    assert (fact.status, fact.amount, fact.settlement_amount, fact.charge_id) == (
        "succeeded",
        -REFUNDED,
        -REFUNDED,
        charge.id,
    )
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    # 50.00 charged, 20.00 refunded: 30.00 net
    assert (month.gross, month.refunds, month.net) == (CHARGED, -REFUNDED, CHARGED - REFUNDED)


@pytest.mark.parametrize(
    "failure_event", ["refund.failed", "refund.updated", "charge.refund.updated"]
)
def test_a_refund_that_fails_after_it_succeeded_gives_the_money_back(
    shop, deliver_ok, failure_event
):
    customer, charge = _charged_customer(shop, deliver_ok)
    refund = shop.refund(charge.id, amount=REFUNDED)
    deliver_ok("refund.created", stripe.Refund.retrieve(refund.id))
    assert FactCustomerMonth.objects.get(customer_id=customer.id).net == CHARGED - REFUNDED

    shop.fail_refund(refund.id)
    deliver_ok(failure_event, stripe.Refund.retrieve(refund.id))

    fact = FactTransaction.objects.get(stripe_id=refund.id, transaction_type=T.REFUND)
    # a failed refund moved no money in the end: its row stays, with zero amounts
    assert (fact.status, fact.amount, fact.settlement_amount, fact.failure_code) == (
        "failed",
        0,
        0,
        "lost_or_stolen_card",
    )
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.refunds, month.net) == (CHARGED, 0, CHARGED)


def test_charge_status_change_is_written_to_the_existing_row(shop, deliver_ok):
    """A second, independent check of the charge upsert's status column: the same charge
    first pending capture, then captured, then refunded in full; each delivery rewrites
    the one row's status and the month's gross follows it."""
    customer = shop.customer()
    card = shop.card(customer.id)
    intent_id, charge_id = shop.authorise(customer.id, card.id, 2500, "usd")
    deliver_ok("charge.updated", stripe.Charge.retrieve(charge_id))
    statuses = [FactTransaction.objects.get(stripe_id=charge_id).status]
    month_gross = [FactCustomerMonth.objects.get(customer_id=customer.id).gross]

    stripe.PaymentIntent.capture(intent_id)
    deliver_ok("charge.updated", stripe.Charge.retrieve(charge_id))
    statuses.append(FactTransaction.objects.get(stripe_id=charge_id).status)
    month_gross.append(FactCustomerMonth.objects.get(customer_id=customer.id).gross)

    # uncaptured money is not gross; captured, all 25.00 of it is
    assert statuses == ["uncaptured", "succeeded"]
    assert month_gross == [0, 2500]
    assert FactTransaction.objects.filter(stripe_id=charge_id).count() == 1
