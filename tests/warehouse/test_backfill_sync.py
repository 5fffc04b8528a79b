"""The backfill path: `djstripe_sync_models` against the Stripe double fills the warehouse too."""

import io

import pytest
from django.core.management import call_command

from warehouse.models import DimCustomer, DimPaymentMethod, FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

T = FactTransaction.TransactionType


def test_djstripe_sync_models_backfills_dimensions_and_facts(empty_stripe_double, shop):
    customer = shop.customer(email="backfill@example.com", metadata={"user_id": "u-99"})
    card = shop.card(customer.id)
    _, kept = shop.pay(customer.id, card.id, 4200, "eur")
    _, refunded = shop.pay(customer.id, card.id, 1800, "eur")
    refund = shop.refund(refunded.id, amount=800)

    call_command(
        "djstripe_sync_models",
        "Customer",
        "PaymentMethod",
        "Charge",
        "Refund",
        stdout=io.StringIO(),
    )

    assert DimCustomer.objects.get(stripe_id=customer.id).user_id == "u-99"
    assert DimPaymentMethod.objects.get(stripe_id=card.id).customer_id == customer.id
    movements = {
        (f.stripe_id, f.transaction_type): (f.amount, f.settlement_amount)
        for f in FactTransaction.objects.all()
    }
    assert movements == {
        (kept.id, T.CHARGE): (4200, 4200),
        (refunded.id, T.CHARGE): (1800, 1800),
        (refund.id, T.REFUND): (-800, -800),
    }
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.refunds, month.net, month.charge_count) == (6000, -800, 5200, 2)
