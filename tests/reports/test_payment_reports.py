"""Every payments metric of the report managers against the plain-Python computation in
tests/reports/payments_dataset.py, compared exactly (money to the minor unit)."""

import datetime as dt
from decimal import Decimal

import pytest

from reports.models import (
    CohortMonthReport,
    CustomerLifetimeReport,
    FollowMonthReport,
    MonthReport,
    TransactionReport,
)
from tests.reports import payments_dataset
from tests.reports.payments_dataset import Expected

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2024, 11, 1), dt.date(2025, 5, 1)
months = MonthReport.objects


@pytest.fixture
def expected(settings):
    return Expected(payments_dataset.build(settings))


def test_monthly_arpu_and_churn(expected):
    actual = months.monthly_metrics(dt.date(2023, 12, 1), LAST)

    assert actual == expected.monthly_metrics(dt.date(2023, 12, 1), LAST)
    # the months of one calendar month a year apart stay apart (January 2024 vs 2025)
    by_month = {row["month"]: row for row in actual}
    assert by_month[dt.date(2024, 1, 1)]["paying_customers"] == 1
    assert by_month[dt.date(2025, 1, 1)]["paying_customers"] == 3
    # a share, not an integer division rounded to 0
    assert by_month[dt.date(2025, 2, 1)]["churn_rate"] == Decimal("0.666667")


@pytest.mark.parametrize("current", [dt.date(2025, 6, 1), dt.date(2025, 5, 1), dt.date(2025, 3, 1)])
def test_ltv_over_full_months(expected, current):
    actual = months.ltv_summary(FIRST, LAST, current)

    assert actual == expected.ltv_summary(FIRST, LAST, current)
    assert actual["ltv"] is not None


@pytest.mark.parametrize("window", [1, 3, 6])
def test_ltv_over_time_is_each_months_trailing_window_ltv(expected, window):
    current = dt.date(2025, 5, 1)

    actual = months.ltv_over_time(FIRST, LAST, window_months=window, current_month=current)

    # full months only: from FIRST to April 2025 (May is the current month)
    assert [row["month"] for row in actual] == payments_dataset.months_from(
        FIRST, dt.date(2025, 4, 1)
    )
    for row in actual:
        window_start = payments_dataset.add_months(row["month"], -(window - 1))
        oracle = expected.ltv_summary(
            window_start, row["month"], payments_dataset.add_months(row["month"], 1)
        )
        assert row == {
            "month": row["month"],
            "window_months": window,
            "arpu_months": oracle["arpu_months"],
            "churn_months": oracle["churn_months"],
            "average_arpu": oracle["average_arpu"],
            "average_churn": oracle["average_churn"],
            "ltv": oracle["ltv"],
        }, row["month"]
    assert any(row["ltv"] is not None for row in actual)


def test_ltv_without_churn_is_none_not_a_division_by_zero(expected):
    # November 2024 alone: nobody paid in October, so there is no churn to divide by
    actual = months.ltv_summary(FIRST, FIRST, dt.date(2025, 6, 1))

    assert actual == expected.ltv_summary(FIRST, FIRST, dt.date(2025, 6, 1))
    assert actual["average_churn"] is None and actual["ltv"] is None


@pytest.mark.parametrize("first,last", [(FIRST, LAST), (dt.date(2025, 1, 1), dt.date(2025, 3, 1))])
def test_customer_values(expected, first, last):
    churn = months.ltv_summary(first, last, dt.date(2025, 6, 1))["average_churn"]

    rows = CustomerLifetimeReport.objects.customer_values(first, last, churn_rate=churn)

    assert {row["customer_id"]: row for row in rows} == (
        expected.customer_values(first, last, churn)
    )
    assert CustomerLifetimeReport.objects.customer_count(first, last) == len(
        expected.customer_values(first, last, churn)
    )


def test_customer_values_single_month_customer_and_no_churn_do_not_divide_by_zero(expected):
    rows = CustomerLifetimeReport.objects.customer_values(
        dt.date(2025, 3, 1), dt.date(2025, 3, 1), churn_rate=None
    )

    dara = next(row for row in rows if row["customer_id"] == expected.ids["dara"])
    assert dara["span_months"] == 1 and dara["average_monthly_spend"] == Decimal("2000.00")
    # c falls back to the 2 % floor: 2000 * 0.98 / 0.02
    assert dara["predicted_remaining"] == 98000


def test_predicted_remaining_does_not_grow_with_inactivity(expected):
    ada = expected.ids["ada"]
    predictions = [
        next(
            row
            for row in CustomerLifetimeReport.objects.customer_values(
                FIRST, last, churn_rate=Decimal("0.25")
            )
            if row["customer_id"] == ada
        )["predicted_remaining"]
        for last in [dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)]
        if ada
    ]
    # ada last paid in March 2025; each month of silence shrinks the estimate
    assert predictions[0] > predictions[1] > predictions[2] > 0


@pytest.mark.parametrize(
    "sort",
    [
        "customer",
        "first_payment_month",
        "last_payment_month",
        "active_months",
        "total_net",
        "average_monthly_spend",
        "predicted_remaining",
    ],
)
@pytest.mark.parametrize("descending", [True, False])
def test_customer_values_sorting_and_paging(expected, sort, descending):
    every = CustomerLifetimeReport.objects.customer_values(
        FIRST, LAST, churn_rate=Decimal("0.1"), sort=sort, descending=descending
    )
    key = "email" if sort == "customer" else sort
    values = [row[key] for row in every]

    assert values == sorted(values, reverse=descending)
    page_two = CustomerLifetimeReport.objects.customer_values(
        FIRST, LAST, churn_rate=Decimal("0.1"), sort=sort, descending=descending, limit=2, offset=2
    )
    assert [r["customer_id"] for r in page_two] == [r["customer_id"] for r in every[2:4]]
    # counted from the end: the same rows, in the same order
    last_two = CustomerLifetimeReport.objects.customer_values(
        FIRST,
        LAST,
        churn_rate=Decimal("0.1"),
        sort=sort,
        descending=descending,
        limit=2,
        from_end=True,
    )
    assert last_two == every[-2:]
    # every page, the last one (partial or not) included, read from the nearer end
    per_page = 2
    pages = [
        CustomerLifetimeReport.objects.customer_values_page(
            FIRST,
            LAST,
            churn_rate=Decimal("0.1"),
            sort=sort,
            descending=descending,
            page=page,
            per_page=per_page,
        )
        for page in range(1, len(every) // per_page + 3)
    ]
    assert {total for _, total in pages} == {len(every)}
    assert [row for rows, _ in pages for row in rows] == every
    assert pages[-1] == ([], len(every))  # past the last page


def test_cohort_retention(expected):
    actual = CohortMonthReport.objects.cohort_retention(dt.date(2024, 1, 1), LAST)

    assert actual == expected.cohort_retention(dt.date(2024, 1, 1), LAST)
    by_cell = {(r["cohort_month"], r["months_since_first_payment"]): r for r in actual}
    # bob's cohort (January 2024) has cells 11 and 12 months later, not folded onto month 0
    assert by_cell[(dt.date(2024, 1, 1), 12)]["paying_customers"] == 1
    assert by_cell[(dt.date(2024, 1, 1), 11)]["paying_customers"] == 1
    assert by_cell[(dt.date(2024, 1, 1), 1)]["retention_rate"] == Decimal("0.000000")


def test_customer_flow(expected):
    actual = months.customer_flow(FIRST, LAST)

    assert actual == expected.customer_flow(FIRST, LAST)
    april = next(row for row in actual if row["month"] == dt.date(2025, 4, 1))
    assert april["returning_customers"] == 1  # bob, back after February and March


@pytest.mark.parametrize("basis", ["first_payment", "paid_in_month"])
@pytest.mark.parametrize("cohort", [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 6, 1)])
def test_follow_cohort(expected, cohort, basis):
    last = max(cohort, LAST)

    assert FollowMonthReport.objects.follow_cohort(cohort, last, basis) == expected.follow_cohort(
        cohort, last, basis
    )


def test_settlement_currency(expected):
    assert TransactionReport.objects.settlement_currency() == "usd"


def test_reports_on_an_empty_warehouse_are_empty_not_errors():
    assert [r["paying_customers"] for r in months.monthly_metrics(FIRST, LAST)] == [0] * 7
    assert months.ltv_summary(FIRST, LAST, dt.date(2025, 6, 1))["ltv"] is None
    assert CustomerLifetimeReport.objects.customer_values(FIRST, LAST, churn_rate=None) == []
    assert CohortMonthReport.objects.cohort_retention(FIRST, LAST) == []
    assert FollowMonthReport.objects.follow_cohort(FIRST, LAST)[0]["paying_share"] is None
    assert TransactionReport.objects.settlement_currency() == "usd"
