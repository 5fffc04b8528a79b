"""MRR facts and marts against the plain-Python oracle (tests/warehouse/mrr_oracle.py),
exactly, to the minor unit: after dj-stripe's manual sync path (signals), after
rebuild_warehouse, and with the objects delivered out of order and twice.

The Stripe objects come from tests/warehouse/billing.py in API 2025-03-31.basil+ shapes.
"""

import datetime as dt
import random

import pytest
from django.conf import settings

from tests.warehouse import mrr_scenarios
from tests.warehouse.billing import sync
from tests.warehouse.mrr_oracle import MrrOracle
from warehouse.models import (
    FactInvoiceLine,
    FactMrrMovement,
    MartMrrCohort,
    MartMrrCustomerMonth,
    MartMrrDay,
    MartMrrMonthMovement,
    MartMrrPriceDay,
    MartMrrPriceMonth,
)
from warehouse.services import rebuild_warehouse

pytestmark = pytest.mark.django_db


def warehouse_movements() -> list[tuple]:
    return sorted(
        FactMrrMovement.objects.values_list(
            "customer_id", "date", "movement_type", "mrr_before", "mrr_after", "amount"
        )
    )


def oracle_movements(oracle) -> list[tuple]:
    return sorted(
        (m.customer_id, m.date, m.movement_type, m.mrr_before, m.mrr_after, m.amount)
        for m in oracle.movements()
    )


def warehouse_customer_months() -> list[tuple]:
    return sorted(
        MartMrrCustomerMonth.objects.values_list(
            "customer_id", "month", "cohort_month", "mrr_start", "mrr_end", "cohort_mrr"
        )
    )


def warehouse_month_movements() -> list[tuple]:
    """mart_mrr_month_movement's rows that hold something (a delta may leave a row at zero)."""
    return sorted(
        MartMrrMonthMovement.objects.exclude(amount=0, movements=0, customers=0).values_list(
            "month", "movement_type", "amount", "movements", "customers"
        )
    )


def warehouse_day_movements() -> list[tuple]:
    """mart_mrr_day's rows that hold something (a delta may leave a row at zero)."""
    return sorted(
        MartMrrDay.objects.exclude(amount=0, movements=0, month_first_customers=0).values_list(
            "date", "movement_type", "amount", "movements", "month_first_customers"
        )
    )


def warehouse_price_mrr(day: dt.date) -> dict[str, tuple[int, int]]:
    """MRR by price at a day's end as running sums of mart_mrr_price_day (prices with MRR > 0),
    in the oracle's price_mrr form."""
    prices = {}
    for row in MartMrrPriceDay.objects.filter(date__lte=day):
        mrr, subscriptions = prices.get(row.price_id, (0, 0))
        prices[row.price_id] = (mrr + row.mrr_change, subscriptions + row.subscriptions_change)
    return {price: value for price, value in prices.items() if value[0] > 0}


def warehouse_price_mrr_at_month_end(month_end: dt.date) -> dict[str, tuple[int, int]]:
    """MRR by price at a month's end as running sums of mart_mrr_price_month (prices with
    MRR > 0), in the oracle's price_mrr form."""
    prices = {}
    for row in MartMrrPriceMonth.objects.filter(month__lte=month_end):
        mrr, subscriptions = prices.get(row.price_id, (0, 0))
        prices[row.price_id] = (mrr + row.mrr_change, subscriptions + row.subscriptions_change)
    return {price: value for price, value in prices.items() if value[0] > 0}


# month ends and days inside months on and around changes (upgrades on the 16th of April,
# the two quantity changes of May)
PRICE_DAYS = (
    dt.date(2025, 1, 31),
    dt.date(2025, 2, 14),
    dt.date(2025, 3, 31),
    dt.date(2025, 4, 15),
    dt.date(2025, 4, 16),
    dt.date(2025, 5, 10),
    dt.date(2025, 5, 19),
    dt.date(2025, 6, 30),
)


def warehouse_cohorts(last_month: dt.date) -> dict:
    """Running sums of the cohort mart's changes, for every month up to last_month."""
    changes = {}
    for row in MartMrrCohort.objects.all():
        changes[(row.cohort_month, row.month)] = row
    result = {}
    for cohort in sorted({key[0] for key in changes}):
        mrr = gross = customers = 0
        month = cohort
        while month <= last_month:
            row = changes.get((cohort, month))
            if row is not None:
                mrr += row.mrr_change
                gross += row.gross_mrr_change
                customers += row.customers_change
            result[(cohort, month)] = (mrr, gross, customers)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return result


def assert_warehouse_equals(oracle) -> None:
    assert warehouse_movements() == oracle_movements(oracle)
    assert warehouse_customer_months() == oracle.customer_months()
    assert warehouse_month_movements() == oracle.month_movements()
    assert warehouse_day_movements() == oracle.day_movements()
    for day in PRICE_DAYS:
        assert warehouse_price_mrr(day) == oracle.price_mrr(day), day
        if (day + dt.timedelta(days=1)).day == 1:
            assert warehouse_price_mrr_at_month_end(day) == oracle.price_mrr(day), day
    last_month = max(row[1] for row in oracle.customer_months())
    assert warehouse_cohorts(last_month) == oracle.cohorts()


@pytest.fixture
def scenario(stripe_double):
    billing, cases = mrr_scenarios.build()
    return (
        billing,
        cases,
        MrrOracle(
            billing.objects(),
            time_zone=settings.TIME_ZONE,
            grace_days=settings.MRR_PAST_DUE_GRACE_DAYS,
        ),
    )


def price_months() -> list[tuple]:
    """mart_mrr_price_month's rows that hold something (a delta may leave a row at zero)."""
    return sorted(
        MartMrrPriceMonth.objects.exclude(mrr_change=0, subscriptions_change=0).values_list(
            "price_id", "month", "mrr_change", "subscriptions_change"
        )
    )


def movements_of(customer_id: str) -> list[tuple]:
    return list(
        FactMrrMovement.objects.filter(customer_id=customer_id)
        .order_by("date")
        .values_list("date", "movement_type", "mrr_before", "mrr_after")
    )


def test_signals_rebuild_and_oracle_agree(scenario):
    billing, _, oracle = scenario
    sync(billing.objects())
    assert_warehouse_equals(oracle)
    signals_state = (
        warehouse_movements(),
        warehouse_customer_months(),
        warehouse_month_movements(),
        sorted(MartMrrCohort.objects.values_list()),
    )
    signals_price_months = price_months()
    signals_days = warehouse_day_movements()
    signals_price_days = sorted(
        MartMrrPriceDay.objects.exclude(mrr_change=0, subscriptions_change=0).values_list(
            "date", "price_id", "mrr_change", "subscriptions_change"
        )
    )
    rebuild_warehouse()
    assert_warehouse_equals(oracle)
    rebuilt = (
        warehouse_movements(),
        warehouse_customer_months(),
        warehouse_month_movements(),
        sorted(MartMrrCohort.objects.values_list()),
    )
    assert [sorted(row[1:] for row in rows) for rows in signals_state[3:]] == [
        sorted(row[1:] for row in rows) for rows in rebuilt[3:]
    ]
    assert signals_state[:3] == rebuilt[:3]
    assert signals_price_months == price_months()
    assert signals_price_months
    assert signals_days == warehouse_day_movements()
    assert signals_price_days == sorted(
        MartMrrPriceDay.objects.values_list(
            "date", "price_id", "mrr_change", "subscriptions_change"
        )
    )
    # the full forms leave no row at zero
    assert not MartMrrDay.objects.filter(amount=0, movements=0, month_first_customers=0).exists()
    assert not MartMrrPriceDay.objects.filter(mrr_change=0, subscriptions_change=0).exists()
    assert not MartMrrMonthMovement.objects.filter(amount=0, movements=0, customers=0).exists()
    assert not MartMrrPriceMonth.objects.filter(mrr_change=0, subscriptions_change=0).exists()
    assert signals_price_months == sorted(
        MartMrrPriceMonth.objects.values_list(
            "price_id", "month", "mrr_change", "subscriptions_change"
        )
    )
    # the scenario has a customer with two movements of one type in a month (two_expansions),
    # so the month-first count differs from the movements there
    assert any(row[3] > row[4] for row in oracle.month_movements())


def test_out_of_order_and_duplicate_delivery(scenario):
    billing, _, oracle = scenario
    objects = billing.objects()
    catalogue = [obj for obj in objects if obj[0] in ("product", "price", "coupon", "customer")]
    rest = [obj for obj in objects if obj not in catalogue]
    shuffled = rest + rest[: len(rest) // 2]
    random.Random(13).shuffle(shuffled)
    # payments must exist before their refunds, invoices before their invoice items
    # (dj-stripe retrieves a missing charge or invoice)
    shuffled.sort(key=lambda obj: obj[0] in ("refund", "invoiceitem"))
    sync(catalogue + shuffled)
    assert_warehouse_equals(oracle)


def test_cases_by_hand(scenario):
    """The cases' movements, computed by hand from the scenario's prices."""
    billing, cases, _ = scenario
    sync(billing.objects())
    d = dt.date
    # a year is 12 months, a quarter 3, a week 52/12 of a month (4333.33 → 4333)
    assert movements_of(cases["annual"]) == [(d(2025, 1, 10), "new", 0, 10000)]
    assert movements_of(cases["quarterly"]) == [(d(2025, 1, 5), "new", 0, 10000)]
    assert movements_of(cases["weekly"]) == [(d(2025, 2, 3), "new", 0, 4333)]
    # quantity 1 → 3 mid-period, dated by the proration line
    assert movements_of(cases["quantity"]) == [
        (d(2025, 1, 1), "new", 0, 2000),
        (d(2025, 1, 15), "expansion", 2000, 6000),
    ]
    # 50 % off for two invoices: the third invoice is expansion
    assert movements_of(cases["coupon_expires"]) == [
        (d(2025, 1, 8), "new", 0, 2000),
        (d(2025, 3, 8), "expansion", 2000, 4000),
    ]
    assert movements_of(cases["amount_coupon"]) == [(d(2025, 3, 1), "new", 0, 1500)]
    # trials count 0: new when the trial converts, nothing when it lapses
    assert movements_of(cases["trial_converts"]) == [(d(2025, 2, 8), "new", 0, 2000)]
    assert movements_of(cases["trial_lapses"]) == []
    # at period end: the end of the paid period; immediately: the cancellation day
    assert movements_of(cases["cancel_period_end"]) == [
        (d(2025, 1, 20), "new", 0, 2000),
        (d(2025, 3, 20), "churn", 2000, 0),
    ]
    assert movements_of(cases["cancel_now"]) == [
        (d(2025, 1, 20), "new", 0, 2000),
        (d(2025, 3, 1), "churn", 2000, 0),
    ]
    assert movements_of(cases["upgrade_downgrade"]) == [
        (d(2025, 1, 1), "new", 0, 2000),
        (d(2025, 1, 16), "expansion", 2000, 5000),
        (d(2025, 2, 10), "contraction", 5000, 2000),
    ]
    assert movements_of(cases["two_subscriptions"]) == [
        (d(2025, 1, 3), "new", 0, 2000),
        (d(2025, 2, 14), "expansion", 2000, 7000),
        (d(2025, 3, 20), "contraction", 7000, 2000),
    ]
    assert movements_of(cases["reactivation"]) == [
        (d(2025, 1, 12), "new", 0, 2000),
        (d(2025, 1, 30), "churn", 2000, 0),
        (d(2025, 4, 2), "reactivation", 0, 5000),
    ]
    # paid within the grace period: no movement; beyond it: churn at the deadline (renewal
    # on Feb 6 + 30 days), and a late payment reactivates
    assert movements_of(cases["past_due_recovers"]) == [(d(2025, 1, 6), "new", 0, 2000)]
    assert movements_of(cases["past_due_churns"]) == [
        (d(2025, 1, 6), "new", 0, 2000),
        (d(2025, 3, 8), "churn", 2000, 0),
    ]
    assert movements_of(cases["paid_after_grace"]) == [
        (d(2025, 1, 6), "new", 0, 2000),
        (d(2025, 3, 8), "churn", 2000, 0),
        (d(2025, 3, 15), "reactivation", 0, 2000),
    ]
    # 1500 JPY at 0.0067 USD/JPY = 10.05 USD; later renewals at another rate move nothing
    assert movements_of(cases["jpy"]) == [(d(2025, 1, 9), "new", 0, 1005)]
    # 18.50 EUR at 1.08 = 19.98 USD; the quantity change converts at its invoice's 1.11:
    # 2 × 18.50 × 1.11 = 41.07 USD
    assert movements_of(cases["eur_fx"]) == [
        (d(2025, 1, 9), "new", 0, 1998),
        (d(2025, 2, 20), "expansion", 1998, 4107),
    ]
    assert movements_of(cases["refunded"]) == [(d(2025, 1, 14), "new", 0, 2000)]
    assert movements_of(cases["metered_only"]) == []
    assert movements_of(cases["item_removed"]) == [
        (d(2025, 1, 2), "new", 0, 7000),
        (d(2025, 1, 22), "contraction", 7000, 2000),
    ]
    # 20 % off: 1600 a month; from the change, 80 % of Pro (4000) or of 3 × Basic (4800),
    # whether Stripe folded the discount into the proration (included) or itemized it
    for form in ("included", "itemized"):
        assert movements_of(cases[f"upgrade_discount_{form}"]) == [
            (d(2025, 4, 1), "new", 0, 1600),
            (d(2025, 4, 16), "expansion", 1600, 4000),
        ]
        assert movements_of(cases[f"quantity_discount_{form}"]) == [
            (d(2025, 4, 1), "new", 0, 1600),
            (d(2025, 4, 16), "expansion", 1600, 4800),
        ]


def test_proration_discount_forms(scenario):
    """The included form's proration line (amount net, discount amounts 0) and the itemized
    one (amount gross, discount itemized) are the same fact line: 2500 gross, 500 off."""
    billing, cases, _ = scenario
    sync(billing.objects())
    for form in ("included", "itemized"):
        raw = [
            line
            for invoice in billing.invoices.values()
            if invoice["customer"] == cases[f"upgrade_discount_{form}"]
            for line in invoice["lines"]["data"]
            if line["parent"]["subscription_item_details"]["proration"] and line["amount"] > 0
        ]
        assert [(ln["amount"], ln["discount_amounts"][0]["amount"]) for ln in raw] == [
            (2000, 0) if form == "included" else (2500, 500)
        ]
        line = FactInvoiceLine.objects.get(line_id=raw[0]["id"])
        assert (line.amount, line.discount_amount, line.mrr) == (2500, 500, 4000)


def test_invoice_item_after_its_invoice(scenario):
    """An included-form proration's invoice item synced after its invoice: the invoice
    alone reads the undiscounted price; the invoice item's save brings MRR right."""
    billing, cases, oracle = scenario
    objects = billing.objects()
    invoice_items = [obj for obj in objects if obj[0] == "invoiceitem"]
    assert invoice_items
    sync([obj for obj in objects if obj[0] != "invoiceitem"])
    assert movements_of(cases["upgrade_discount_included"])[1] == (
        dt.date(2025, 4, 16),
        "expansion",
        1600,
        5000,  # the folded discount not yet known: Pro at full price
    )
    sync(invoice_items)
    assert_warehouse_equals(oracle)
    # and again (a duplicate delivery changes nothing)
    sync(invoice_items)
    assert_warehouse_equals(oracle)


def test_invoice_lines_in_basil_shape(scenario):
    billing, cases, _ = scenario
    sync(billing.objects())
    lines = FactInvoiceLine.objects.filter(customer_id=cases["upgrade_downgrade"]).order_by(
        "period_start", "-is_credit"
    )
    assert [(line.is_proration, line.is_credit, line.mrr) for line in lines][:3] == [
        (False, False, 2000),
        (True, True, 0),
        (True, False, 5000),
    ]
    jpy = FactInvoiceLine.objects.filter(customer_id=cases["jpy"]).order_by("period_start")
    assert [(line.currency, line.settlement_currency, line.mrr) for line in jpy] == [
        ("jpy", "usd", 1005),
        ("jpy", "usd", 1005),
        ("jpy", "usd", 1065),  # 1500 × 0.0071 × 100: the line's own value; the run keeps 1005
    ]


def test_mrr_by_price_sums_to_customer_mrr(scenario):
    """fact_mrr_change summed per price up to a day = the customers' MRR that day."""
    from django.db.models import Sum

    from warehouse.models import FactMrrChange

    billing, cases, oracle = scenario
    sync(billing.objects())
    for day in (dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)):
        by_price = dict(
            FactMrrChange.objects.filter(date__lte=day)
            .values_list("price_id")
            .annotate(mrr=Sum("amount"))
        )
        total = sum(oracle.customer_mrr(customer_id, day) for customer_id in oracle.customers())
        assert sum(by_price.values()) == total
    # the two-item subscription: each price keeps its own MRR until the Pro item is removed
    item_removed = FactMrrChange.objects.filter(customer_id=cases["item_removed"])
    assert sorted(item_removed.values_list("date", "amount")) == [
        (dt.date(2025, 1, 2), 2000),
        (dt.date(2025, 1, 2), 5000),
        (dt.date(2025, 1, 22), -5000),
    ]


def test_rate_of_an_invoice_without_its_own_charge(scenario):
    """An unpaid renewal converts at the latest known rate of its currency, from charges in
    fact_transaction: one whose balance transaction is unknown (its rate cannot be read) is
    passed over, and one that dj-stripe no longer holds but that settled in the line's own
    currency converts at 1 (before, both left the line without MRR)."""
    from warehouse.models import FactTransaction
    from warehouse.services.subscriptions import refresh_subscription_facts

    billing, cases, oracle = scenario
    sync(billing.objects())
    customer = cases["past_due_churns"]
    line = FactInvoiceLine.objects.get(
        customer_id=customer, invoice_status="open", is_recurring=True
    )
    settled_by = FactTransaction.objects.get(stripe_id=line.charge_id, transaction_type="charge")
    expected = line.mrr
    assert expected == 2000 and settled_by.settlement_currency == line.currency == "usd"

    def charge_only_in_the_warehouse(stripe_id, settlement_currency):
        FactTransaction.objects.create(
            stripe_id=stripe_id,
            transaction_type="charge",
            status="succeeded",
            charge_id=stripe_id,
            date=settled_by.date,
            occurred_at=line.invoice_created,  # the latest charge before the invoice
            amount=100,
            currency=line.currency,
            balance_transaction_id=f"txn_{stripe_id}",  # not in djstripe_balancetransaction
            settlement_amount=100,
            fee=0,
            net=100,
            settlement_currency=settlement_currency,
        )

    charge_only_in_the_warehouse("ch_unknown_rate", "eur")
    refresh_subscription_facts([customer])
    line.refresh_from_db()
    assert (line.charge_id, line.mrr) == (settled_by.stripe_id, expected)

    charge_only_in_the_warehouse("ch_same_currency", "usd")
    refresh_subscription_facts([customer])
    line.refresh_from_db()
    assert (line.charge_id, line.settlement_currency, line.fx_rate, line.mrr) == (
        "ch_same_currency",
        "usd",
        1,
        expected,
    )
    assert_warehouse_equals(oracle)
