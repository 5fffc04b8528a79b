"""fact_customer_month is recomputed from fact_transaction; checked against plain Python sums."""

import datetime as dt
from collections import defaultdict

import pytest

from tests.factories import DimCustomerFactory, FactTransactionFactory, utc
from warehouse import services
from warehouse.models import FactCustomerMonth, FactTransaction

pytestmark = pytest.mark.django_db

T = FactTransaction.TransactionType


def _expected_months(transactions, tz):
    """Independent computation of the per-customer-month table."""
    rows = defaultdict(lambda: {"gross": 0, "refunds": 0, "disputes": 0, "charges": 0, "failed": 0})
    for txn in transactions:
        local = txn.occurred_at.astimezone(tz)
        key = (txn.customer_id, dt.date(local.year, local.month, 1))
        row = rows[key]
        if txn.transaction_type == T.CHARGE and txn.status == "succeeded":
            row["gross"] += txn.settlement_amount
            row["charges"] += 1
        elif txn.transaction_type == T.CHARGE and txn.status == "failed":
            row["failed"] += 1
        elif txn.transaction_type == T.REFUND:
            row["refunds"] += txn.settlement_amount
        elif txn.transaction_type != T.CHARGE:
            row["disputes"] += txn.settlement_amount
    cohorts = {}
    for (customer_id, month), row in rows.items():
        if row["charges"]:
            cohorts[customer_id] = min(month, cohorts.get(customer_id, month))
    return {
        key: (
            cohorts.get(key[0]),
            r["gross"],
            r["refunds"],
            r["disputes"],
            r["gross"] + r["refunds"] + r["disputes"],
            r["charges"],
            r["failed"],
        )
        for key, r in rows.items()
    }


def test_refresh_matches_independent_sums_and_is_idempotent(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ada, bob = DimCustomerFactory(), DimCustomerFactory()
    transactions = [
        FactTransactionFactory(
            customer=ada, occurred_at=utc(2024, 12, 31, 23, 30), amount=5000
        ),  # Jan in Berlin
        FactTransactionFactory(customer=ada, occurred_at=utc(2025, 1, 15), amount=2500),
        FactTransactionFactory(
            customer=ada,
            occurred_at=utc(2025, 2, 1),
            amount=700,
            status="failed",
            settlement_amount=None,
            fee=0,
            net=None,
        ),
        FactTransactionFactory(
            customer=ada,
            occurred_at=utc(2025, 2, 3),
            stripe_id="re_1",
            transaction_type=T.REFUND,
            amount=-2500,
            status="succeeded",
        ),
        FactTransactionFactory(
            customer=bob,
            occurred_at=utc(2025, 3, 3),
            amount=12000,
            currency="jpy",
            settlement_amount=7800,
        ),
        FactTransactionFactory(
            customer=bob,
            occurred_at=utc(2025, 4, 9),
            stripe_id="dp_1",
            transaction_type=T.DISPUTE_WITHDRAWAL,
            amount=-12000,
            currency="jpy",
            settlement_amount=-7800,
        ),
    ]
    services.refresh_customer_months([ada.stripe_id, bob.stripe_id])
    services.refresh_customer_months()

    actual = {
        (row.customer_id, row.month): (
            row.first_payment_month,
            row.gross,
            row.refunds,
            row.disputes,
            row.net,
            row.charge_count,
            row.failed_charge_count,
        )
        for row in FactCustomerMonth.objects.all()
    }
    from zoneinfo import ZoneInfo

    assert actual == _expected_months(transactions, ZoneInfo("Europe/Berlin"))


def test_refresh_prunes_months_left_without_movement():
    ada = DimCustomerFactory()
    charge = FactTransactionFactory(customer=ada, occurred_at=utc(2025, 5, 5))
    services.refresh_customer_months([ada.stripe_id])
    FactTransaction.objects.filter(pk=charge.pk).update(occurred_at=utc(2025, 6, 5))

    services.refresh_customer_months([ada.stripe_id])

    assert list(FactCustomerMonth.objects.values_list("month", flat=True)) == [dt.date(2025, 6, 1)]
