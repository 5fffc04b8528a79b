"""End to end: objects created in the Stripe double, signed events over HTTP, warehouse rows."""

import pytest

from warehouse.models import DimCustomer, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

T = FactTransaction.TransactionType


def test_charge_succeeded_lands_once_with_its_settlement(shop, deliver_ok):
    customer = shop.customer(email="ada@example.com", metadata={"user_id": "u-42"})
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 1999, "eur")

    deliver_ok("charge.succeeded", charge)

    fact = FactTransaction.objects.get()
    assert (fact.stripe_id, fact.transaction_type, fact.status) == (charge.id, T.CHARGE, "succeeded")
    assert (fact.amount, fact.currency) == (1999, "eur")
    assert (fact.settlement_amount, fact.settlement_currency, fact.balance_transaction_id) == (
        1999, "eur", charge.balance_transaction)
    assert fact.customer_id == customer.id and fact.payment_method_id == card.id
    dim = DimCustomer.objects.get(stripe_id=customer.id)
    assert (dim.user_id, dim.email, dim.first_payment_at) == ("u-42", "ada@example.com", fact.occurred_at)
