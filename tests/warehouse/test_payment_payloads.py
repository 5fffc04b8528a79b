"""Stripe-shaped JSON payloads synced through dj-stripe's manual sync path into the warehouse.

The payloads (tests/warehouse/payloads/) are a KWD (three-decimal) charge settled in USD,
a partial refund of it and a lost dispute, each with its balance transaction embedded as
Stripe returns it with `expand`. The objects they reference (customer, payment method,
payment intent) do not exist in the Stripe double, as after a deletion upstream.
"""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from warehouse.models import DimCustomer, DimPaymentMethod, FactCustomerMonth, FactTransaction
from warehouse.money import format_money

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
T = FactTransaction.TransactionType


def _payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def _sync_all():
    from djstripe.models import Charge, Dispute, Refund

    Charge.sync_from_stripe_data(_payload("charge_kwd_settled_usd"))
    Refund.sync_from_stripe_data(_payload("refund_kwd_settled_usd"))
    Dispute.sync_from_stripe_data(_payload("dispute_kwd_lost"))


def test_manual_sync_of_payloads_fills_facts_in_minor_units(stripe_double):
    from djstripe.models import Charge

    _sync_all()

    # dj-stripe's decimal column is the Stripe integer / 100 even for a three-decimal currency.
    assert Charge.objects.get(id="ch_3PayloadKwd0001").amount == Decimal("123.40")
    facts = {(f.stripe_id, f.transaction_type): f for f in FactTransaction.objects.all()}
    charge = facts[("ch_3PayloadKwd0001", T.CHARGE)]
    refund = facts[("re_3PayloadKwd0001", T.REFUND)]
    dispute = facts[("dp_1PayloadKwd0001", T.DISPUTE_WITHDRAWAL)]
    assert len(facts) == 3
    assert (charge.amount, charge.currency, format_money(charge.amount, charge.currency)) == (
        12340,
        "kwd",
        "12.340 KWD",
    )
    assert (charge.settlement_amount, charge.fee, charge.net, charge.settlement_currency) == (
        4010,
        146,
        3864,
        "usd",
    )
    assert charge.occurred_at == dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
    assert charge.date_id == 20250302
    assert (refund.amount, refund.settlement_amount, refund.net, refund.status) == (
        -5000,
        -1625,
        -1625,
        "succeeded",
    )
    assert (
        dispute.amount,
        dispute.settlement_amount,
        dispute.fee,
        dispute.net,
        dispute.status,
    ) == (-7340, -2385, 1500, -3885, "lost")
    # Referenced but unknown upstream: placeholder dimension rows keep the facts joinable.
    assert {f.customer_id for f in facts.values()} == {"cus_PayloadKwd0001"}
    assert DimCustomer.objects.get(stripe_id="cus_PayloadKwd0001").email == ""
    assert DimPaymentMethod.objects.filter(stripe_id="pm_1PayloadKwd0001").exists()
    month = FactCustomerMonth.objects.get(customer_id="cus_PayloadKwd0001")
    assert (month.month, month.gross, month.refunds, month.disputes, month.net) == (
        dt.date(2025, 3, 1),
        4010,
        -1625,
        -2385,
        4010 - 1625 - 2385,
    )


def test_syncing_the_same_payloads_again_changes_nothing(stripe_double):
    _sync_all()
    first = list(
        FactTransaction.objects.order_by("stripe_id", "transaction_type").values_list(
            "stripe_id", "transaction_type", "amount", "settlement_amount", "fee", "net"
        )
    )

    _sync_all()

    assert (
        list(
            FactTransaction.objects.order_by("stripe_id", "transaction_type").values_list(
                "stripe_id", "transaction_type", "amount", "settlement_amount", "fee", "net"
            )
        )
        == first
    )


def test_zero_decimal_charge_keeps_its_integer_amount(stripe_double):
    from djstripe.models import Charge

    payload = _payload("charge_kwd_settled_usd")
    payload.update(
        id="ch_3PayloadJpy0001", amount=1200, amount_refunded=0, currency="jpy", disputed=False
    )
    payload["balance_transaction"].update(
        id="txn_3PayloadJpy0001", source="ch_3PayloadJpy0001", amount=812, fee=54, net=758
    )

    Charge.sync_from_stripe_data(payload)

    fact = FactTransaction.objects.get(stripe_id="ch_3PayloadJpy0001")
    assert (fact.amount, fact.currency, format_money(fact.amount, "jpy")) == (
        1200,
        "jpy",
        "1,200 JPY",
    )
    assert (fact.settlement_amount, fact.fee, fact.net) == (812, 54, 758)


def test_failed_and_canceled_refunds_move_no_money(stripe_double):
    from djstripe.models import Charge, Refund

    Charge.sync_from_stripe_data(_payload("charge_kwd_settled_usd"))
    refund = _payload("refund_kwd_settled_usd")
    refund.update(status="failed", failure_reason="expired_or_canceled_card")

    Refund.sync_from_stripe_data(refund)

    fact = FactTransaction.objects.get(stripe_id="re_3PayloadKwd0001")
    assert (fact.status, fact.amount, fact.settlement_amount, fact.failure_code) == (
        "failed",
        0,
        0,
        "expired_or_canceled_card",
    )
    assert FactCustomerMonth.objects.get(customer_id="cus_PayloadKwd0001").refunds == 0


def test_days_and_months_are_taken_in_the_reporting_time_zone(stripe_double, settings):
    from djstripe.models import Charge

    settings.TIME_ZONE = "America/Los_Angeles"
    payload = _payload("charge_kwd_settled_usd")
    # 2025-03-01 05:00 UTC is still February 28th in Los Angeles.
    payload.update(created=1740805200)

    Charge.sync_from_stripe_data(payload)

    fact = FactTransaction.objects.get()
    assert fact.date_id == 20250228
    assert fact.date.date == dt.date(2025, 2, 28)
    assert FactCustomerMonth.objects.get().month == dt.date(2025, 2, 1)


def test_refund_whose_balance_transaction_stripe_does_not_know_keeps_a_null_settlement(
    stripe_double,
):
    from djstripe.models import Charge, Refund

    Charge.sync_from_stripe_data(_payload("charge_kwd_settled_usd"))
    refund = _payload("refund_kwd_settled_usd")
    refund["balance_transaction"] = "txn_NotInTheStripeDouble"

    Refund.sync_from_stripe_data(refund)

    fact = FactTransaction.objects.get(stripe_id="re_3PayloadKwd0001")
    assert (fact.amount, fact.balance_transaction_id, fact.settlement_amount) == (
        -5000,
        "txn_NotInTheStripeDouble",
        None,
    )
