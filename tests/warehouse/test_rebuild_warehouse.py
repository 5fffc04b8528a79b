"""rebuild_warehouse recomputes, from dj-stripe's tables, exactly what the signals built."""

import datetime as dt
import io

import pytest
import stripe
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.warehouse.conftest import warehouse_snapshot
from warehouse.models import (
    DimCustomer,
    DimPaymentMethod,
    FactCohortMonth,
    FactCustomerDay,
    FactCustomerLifetime,
    FactCustomerMonth,
    FactDay,
    FactFollowMonth,
    FactMonth,
    FactTransaction,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _empty_payments_warehouse():
    FactMonth.objects.all().delete()
    FactCohortMonth.objects.all().delete()
    FactFollowMonth.objects.all().delete()
    FactCustomerLifetime.objects.all().delete()
    FactCustomerMonth.objects.all().delete()
    FactDay.objects.all().delete()
    FactCustomerDay.objects.all().delete()
    FactTransaction.objects.all().delete()
    DimPaymentMethod.objects.all().delete()
    DimCustomer.objects.all().delete()


def _rebuild(*args) -> str:
    out = io.StringIO()
    call_command("rebuild_warehouse", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def business_built_by_signals(shop, deliver_ok):
    """A small history: charges in two currencies, a failed charge, a refund, a won dispute,
    a detached card, a customer without payments."""
    ada = shop.customer(
        email="ada@example.com",
        metadata={"user_id": "u-1"},
        address={"postal_code": "01067", "country": "DE"},
    )
    bob = shop.customer(email="bob@example.com", metadata={"user_id": "u-2"})
    carol = shop.customer(email="carol@example.com", metadata={})
    ada_card, bob_card = shop.card(ada.id), shop.card(bob.id)
    declined = shop.card(bob.id, number="4000000000000341")

    _, eur_charge = shop.pay(ada.id, ada_card.id, 2500, "eur")
    _, jpy_charge = shop.pay(bob.id, bob_card.id, 12000, "jpy")
    shop.restate_settlement(jpy_charge.balance_transaction, 8100, "usd", fee=265)
    failed_intent, _ = shop.pay(bob.id, declined.id, 900, "usd")
    refund = shop.refund(eur_charge.id, amount=1000)
    dispute = shop.open_dispute(
        jpy_charge.id, settlement_amount=8100, settlement_currency="usd", fee=1500
    )
    won = shop.close_dispute(dispute["id"], "won")

    deliver_ok("customer.created", stripe.Customer.retrieve(carol.id))
    deliver_ok("charge.succeeded", stripe.Charge.retrieve(eur_charge.id))
    deliver_ok("charge.succeeded", stripe.Charge.retrieve(jpy_charge.id))
    deliver_ok("payment_intent.payment_failed", stripe.PaymentIntent.retrieve(failed_intent.id))
    deliver_ok("charge.refunded", stripe.Charge.retrieve(eur_charge.id))
    deliver_ok("charge.dispute.closed", won)
    deliver_ok(
        "payment_method.detached",
        stripe.PaymentMethod.detach(declined.id),
        previous_attributes={"customer": bob.id},
    )
    return {"customers": (ada, bob, carol), "refund": refund, "dispute": won}


def test_rebuild_from_scratch_equals_what_the_signals_built(business_built_by_signals):
    built_by_signals = warehouse_snapshot()
    assert len(built_by_signals["fact_transaction"]) == 6  # 3 charges, refund, 2 dispute movements
    assert len(built_by_signals["dim_customer"]) == 3
    assert built_by_signals["fact_month"] and built_by_signals["fact_customer_lifetime"]

    _empty_payments_warehouse()
    output = _rebuild()

    assert warehouse_snapshot() == built_by_signals
    assert "charges" in output and output.strip().splitlines()[-1].startswith("Warehouse rebuilt")
    # where the time went: one progress line naming the statements' files
    [timings] = [line for line in output.splitlines() if "time by statement: " in line]
    assert "facts/fact_transaction" in timings and "facts/fact_invoice_line" in timings


def test_rebuild_is_idempotent(business_built_by_signals):
    before = warehouse_snapshot()

    _rebuild()
    second = _rebuild()

    assert warehouse_snapshot() == before
    summary = second.strip().splitlines()[-1]
    assert "charges 0" in summary and "refunds 0" in summary and "disputes 0" in summary


def test_rebuild_deletes_the_movements_whose_source_dj_stripe_no_longer_holds(
    business_built_by_signals,
):
    """The prune runs before the upserts (warehouse.services.rebuild): it must still find a
    movement whose refund dj-stripe has deleted, and leave the others."""
    from djstripe.models import Refund

    refund_id = business_built_by_signals["refund"].id
    kept = set(
        FactTransaction.objects.exclude(stripe_id=refund_id).values_list(
            "stripe_id", "transaction_type"
        )
    )
    assert FactTransaction.objects.filter(stripe_id=refund_id).exists()
    Refund.objects.filter(id=refund_id).delete()

    output = _rebuild()

    assert set(FactTransaction.objects.values_list("stripe_id", "transaction_type")) == kept
    assert "movements without a source 1," in output.strip().splitlines()[-1]


def test_partial_rebuild_since_a_day_restores_that_days_movements(business_built_by_signals):
    before = warehouse_snapshot()
    today = timezone.localdate()
    FactTransaction.objects.filter(occurred_at__date__gte=today).delete()
    assert not FactTransaction.objects.exists()

    _rebuild("--since", today.isoformat())

    assert warehouse_snapshot() == before


def test_rebuild_since_the_future_changes_nothing(business_built_by_signals):
    before = warehouse_snapshot()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    output = _rebuild("--since", tomorrow.isoformat())

    assert warehouse_snapshot() == before
    assert "charges 0" in output.strip().splitlines()[-1]


def test_rebuild_rejects_a_malformed_date():
    with pytest.raises(CommandError, match="--since must be a date"):
        _rebuild("--since", "03/01/2025")
