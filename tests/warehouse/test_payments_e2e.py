"""End to end: objects created in the Stripe double, signed events over HTTP, warehouse rows.

Expected values come from what the test itself created in the double (amounts, currencies,
restated settlements), never from the warehouse code.
"""

import datetime as dt

import pytest
import stripe

from warehouse.models import DimCustomer, DimPaymentMethod, FactCustomerMonth, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

T = FactTransaction.TransactionType


def _month_of(moment: dt.datetime) -> dt.date:
    return dt.date(moment.year, moment.month, 1)  # tests run with TIME_ZONE = UTC


def test_charge_succeeded_lands_once_with_its_settlement(shop, deliver_ok):
    customer = shop.customer(email="ada@example.com", metadata={"user_id": "u-42"})
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 1999, "eur")

    deliver_ok("charge.succeeded", charge)

    fact = FactTransaction.objects.get()
    assert (fact.stripe_id, fact.transaction_type, fact.status) == (
        charge.id,
        T.CHARGE,
        "succeeded",
    )
    assert (fact.amount, fact.currency) == (1999, "eur")
    assert (fact.settlement_amount, fact.settlement_currency, fact.balance_transaction_id) == (
        1999,
        "eur",
        charge.balance_transaction,
    )
    assert fact.customer_id == customer.id and fact.payment_method_id == card.id
    assert fact.date_id == int(fact.occurred_at.strftime("%Y%m%d"))
    dim = DimCustomer.objects.get(stripe_id=customer.id)
    assert (dim.user_id, dim.email) == ("u-42", "ada@example.com")
    assert dim.first_payment_at == dim.last_payment_at == fact.occurred_at
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.net, month.charge_count, month.first_payment_month) == (
        1999,
        1999,
        1,
        _month_of(fact.occurred_at),
    )


def test_payment_intent_events_reach_the_warehouse_through_their_latest_charge(shop, deliver_ok):
    customer = shop.customer()
    good_card = shop.card(customer.id)
    declined_card = shop.card(customer.id, number="4000000000000341")
    paid_intent, paid_charge = shop.pay(customer.id, good_card.id, 5000, "usd")
    failed_intent, failed_charge = shop.pay(customer.id, declined_card.id, 700, "usd")
    assert failed_charge.status == "failed" and failed_intent is not None

    deliver_ok("payment_intent.succeeded", stripe.PaymentIntent.retrieve(paid_intent.id))
    deliver_ok("payment_intent.payment_failed", stripe.PaymentIntent.retrieve(failed_intent.id))

    paid = FactTransaction.objects.get(stripe_id=paid_charge.id)
    failed = FactTransaction.objects.get(stripe_id=failed_charge.id)
    assert (paid.status, paid.amount, paid.settlement_amount) == ("succeeded", 5000, 5000)
    assert (failed.status, failed.amount, failed.settlement_amount) == ("failed", 700, None)
    assert (failed.failure_code, failed.failure_message) == (
        "card_declined",
        "Your card was declined.",
    )
    assert failed.payment_method_id == declined_card.id
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.charge_count, month.failed_charge_count) == (5000, 1, 1)
    assert DimCustomer.objects.get(stripe_id=customer.id).last_payment_at == paid.occurred_at


def test_refund_settles_from_its_own_balance_transaction_in_another_currency(shop, deliver_ok):
    """A JPY charge settled in USD: the refund's USD amount is its own, not a share of the
    charge's."""
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 12000, "jpy")
    shop.restate_settlement(charge.balance_transaction, 8100, "usd", fee=265)
    refund = shop.refund(charge.id, amount=5000)
    # The exchange rate moved between charge and refund: 5000/12000 of 8100 would be 3375.
    shop.restate_settlement(refund.balance_transaction, -3420, "usd")

    deliver_ok("charge.succeeded", stripe.Charge.retrieve(charge.id))
    deliver_ok("charge.refunded", stripe.Charge.retrieve(charge.id))

    charge_fact = FactTransaction.objects.get(stripe_id=charge.id, transaction_type=T.CHARGE)
    refund_fact = FactTransaction.objects.get(stripe_id=refund.id, transaction_type=T.REFUND)
    assert (charge_fact.amount, charge_fact.currency) == (12000, "jpy")
    assert (
        charge_fact.settlement_amount,
        charge_fact.fee,
        charge_fact.net,
        charge_fact.settlement_currency,
    ) == (8100, 265, 8100 - 265, "usd")
    assert (refund_fact.amount, refund_fact.currency, refund_fact.charge_id) == (
        -5000,
        "jpy",
        charge.id,
    )
    assert (
        refund_fact.settlement_amount,
        refund_fact.settlement_currency,
        refund_fact.balance_transaction_id,
    ) == (-3420, "usd", refund.balance_transaction)
    assert refund_fact.customer_id == customer.id
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.refunds, month.net) == (8100, -3420, 8100 - 3420)


def test_missing_refund_balance_transaction_is_retrieved_from_stripe(shop, deliver_ok):
    """dj-stripe may keep only the balance transaction's id: the warehouse fetches it."""
    from djstripe.models import BalanceTransaction, Refund

    from warehouse import services

    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 4000, "eur")
    refund = shop.refund(charge.id, amount=1500)
    deliver_ok("charge.refunded", stripe.Charge.retrieve(charge.id))
    # Leave dj-stripe as seen in production: the refund names a balance transaction it lacks.
    BalanceTransaction.objects.filter(id=refund.balance_transaction).delete()
    assert (
        Refund.objects.get(id=refund.id).stripe_data["balance_transaction"]
        == refund.balance_transaction
    )
    FactTransaction.objects.filter(stripe_id=refund.id).update(
        settlement_amount=None, settlement_currency=""
    )

    services.record_refunds([refund.id])

    assert BalanceTransaction.objects.filter(id=refund.balance_transaction).exists()
    fact = FactTransaction.objects.get(stripe_id=refund.id)
    assert (fact.amount, fact.settlement_amount, fact.settlement_currency) == (-1500, -1500, "eur")


def test_dispute_withdrawal_and_reinstatement_are_two_movements(shop, deliver_ok):
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 5000, "usd")
    deliver_ok("charge.succeeded", charge)
    dispute = shop.open_dispute(charge.id, fee=1500)

    deliver_ok("charge.dispute.created", dispute)
    deliver_ok("charge.dispute.funds_withdrawn", dispute)

    withdrawal = FactTransaction.objects.get(stripe_id=dispute["id"])
    assert withdrawal.transaction_type == T.DISPUTE_WITHDRAWAL
    assert (withdrawal.amount, withdrawal.settlement_amount, withdrawal.fee, withdrawal.net) == (
        -5000,
        -5000,
        1500,
        -6500,
    )
    assert (withdrawal.charge_id, withdrawal.customer_id) == (charge.id, customer.id)
    assert FactCustomerMonth.objects.get(customer_id=customer.id).net == 0

    won = shop.close_dispute(dispute["id"], "won")
    deliver_ok("charge.dispute.funds_reinstated", won)
    deliver_ok("charge.dispute.closed", won)

    movements = {
        f.transaction_type: f for f in FactTransaction.objects.filter(stripe_id=dispute["id"])
    }
    assert set(movements) == {T.DISPUTE_WITHDRAWAL, T.DISPUTE_REINSTATEMENT}
    reinstated = movements[T.DISPUTE_REINSTATEMENT]
    assert (reinstated.amount, reinstated.settlement_amount, reinstated.fee, reinstated.status) == (
        5000,
        5000,
        -1500,
        "won",
    )
    month = FactCustomerMonth.objects.get(customer_id=customer.id)
    assert (month.gross, month.disputes, month.net) == (5000, 0, 5000)


def test_customer_lifecycle_and_out_of_order_updates(shop, deliver_ok):
    customer = shop.customer(
        email="old@example.com",
        name="Ada Lovelace",
        metadata={"user_id": "u-7"},
        address={"line1": "1 Main St", "city": "Dresden", "postal_code": "01067", "country": "DE"},
    )
    created_snapshot = stripe.Customer.retrieve(customer.id)
    stripe.Customer.modify(customer.id, email="new@example.com")
    updated_snapshot = stripe.Customer.retrieve(customer.id)

    # customer.updated arrives before customer.created: dj-stripe re-retrieves, so both
    # leave the current state.
    deliver_ok(
        "customer.updated", updated_snapshot, previous_attributes={"email": "old@example.com"}
    )
    deliver_ok("customer.created", created_snapshot)

    dim = DimCustomer.objects.get(stripe_id=customer.id)
    assert (dim.email, dim.name, dim.user_id, dim.deleted) == (
        "new@example.com",
        "Ada Lovelace",
        "u-7",
        False,
    )
    assert (dim.address_postal_code, dim.country, dim.address_city) == ("01067", "DE", "Dresden")

    deleted = stripe.Customer.delete(customer.id)
    deliver_ok(
        "customer.deleted", {**updated_snapshot.to_dict(), "deleted": True, "id": deleted.id}
    )

    dim.refresh_from_db()
    assert dim.deleted is True and dim.email == "new@example.com"


def test_payment_method_attach_update_detach(shop, deliver_ok):
    customer = shop.customer()
    card = shop.card(customer.id)
    deliver_ok("payment_method.attached", card)

    pm = DimPaymentMethod.objects.get(stripe_id=card.id)
    assert (
        pm.customer_id,
        pm.type,
        pm.card_brand,
        pm.card_last4,
        pm.card_exp_month,
        pm.card_exp_year,
    ) == (customer.id, "card", "visa", "4242", 12, 2030)
    assert pm.detached is False

    deliver_ok("payment_method.updated", stripe.PaymentMethod.retrieve(card.id))
    detached = stripe.PaymentMethod.detach(card.id)
    assert detached.customer is None
    deliver_ok("payment_method.detached", detached, previous_attributes={"customer": customer.id})

    pm.refresh_from_db()
    assert (pm.detached, pm.customer_id, pm.card_last4) == (True, customer.id, "4242")
    assert DimPaymentMethod.objects.count() == 1


def test_customer_deleted_before_it_was_ever_seen(shop, deliver_ok):
    customer = shop.customer(email="gone@example.com")
    snapshot = stripe.Customer.retrieve(customer.id).to_dict()
    stripe.Customer.delete(customer.id)

    deliver_ok("customer.deleted", {**snapshot, "deleted": True})

    dim = DimCustomer.objects.get(stripe_id=customer.id)
    assert dim.deleted is True


def test_authorised_charge_counts_only_once_captured(shop, deliver_ok):
    customer = shop.customer()
    card = shop.card(customer.id)
    intent_id, charge_id = shop.authorise(customer.id, card.id, 3000)

    deliver_ok("charge.succeeded", stripe.Charge.retrieve(charge_id))

    fact = FactTransaction.objects.get(stripe_id=charge_id)
    assert (fact.status, fact.amount, fact.settlement_amount) == ("uncaptured", 3000, None)
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 0
    assert DimCustomer.objects.get(stripe_id=customer.id).first_payment_at is None

    stripe.PaymentIntent.capture(intent_id)
    deliver_ok("charge.captured", stripe.Charge.retrieve(charge_id))

    fact.refresh_from_db()
    assert (fact.status, fact.settlement_amount) == ("succeeded", 3000)
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 3000
    assert FactTransaction.objects.count() == 1
