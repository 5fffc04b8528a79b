"""End to end, for the cases a mutation test found unguarded: payments made in the Stripe double
(backdated where the case needs other months), signed webhooks and install callbacks over HTTP
to the live server, and the report pages and their CSV exports read over HTTP as a manager.

Expected numbers are worked out by hand from the amounts and dates each test creates (see the
comments) or by the small plain-Python month arithmetic below, never read from the warehouse.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import requests
import stripe
from django.conf import settings
from django.urls import reverse

from tests.reports.test_pages import as_csv_text, page_table_keys, page_tables

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def at(year: int, month: int, day: int = 10) -> dt.datetime:
    """Noon UTC (tests run with the reporting time zone UTC): safely inside its day and month."""
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


def shown_table(get, url_name: str, table: str, **params) -> list[dict]:
    """A table's CSV rows as dicts by the page's column titles, after checking that the page
    shows the same cells."""
    header, *rows = list(csv.reader(io.StringIO(get(url_name, export=table, **params).text)))
    page = get(url_name, **params)
    titles, *page_rows = page_tables(page)[table]
    # the CSV may hold more columns than the page (a channel's code beside its label)
    keys = [column.split(" (")[0] for column in header]
    shown = [[row[keys.index(key)] for key in page_table_keys(page)[table]] for row in rows]
    assert [[as_csv_text(cell) for cell in row] for row in page_rows] == shown, table
    return [dict(zip(titles, row, strict=True)) for row in shown]


def by(rows: list[dict], *columns: str) -> dict:
    return {
        tuple(row[c] for c in columns) if len(columns) > 1 else row[columns[0]]: row for row in rows
    }


# --- month arithmetic by hand ------------------------------------------------------------


def month_index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def month_at(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def flow_by_hand(paying_months: dict[str, set[dt.date]], first: dt.date, last: dt.date) -> dict:
    """New / retained / returning / churned customers and churn for each month, from the set
    of months each customer paid in: the definitions of docs/metrics.md, on month indexes."""
    paid = {c: {month_index(m) for m in months} for c, months in paying_months.items()}
    flow = {}
    for index in range(month_index(first), month_index(last) + 1):
        now = {c for c, months in paid.items() if index in months}
        before = {c for c, months in paid.items() if index - 1 in months}
        flow[month_at(index).strftime("%Y-%m")] = {
            "New": sum(min(paid[c]) == index for c in now),
            "Retained": len(now & before),
            "Returning": sum(min(paid[c]) < index for c in now - before),
            "Churned": len(before - now),
            "Paying the month before": len(before),
            "Churn": f"{Decimal(len(before - now) * 100) / len(before):.2f}" if before else "",
        }
    return flow


# --- 1. a refund in a later month than its charge ------------------------------------------


def test_refund_made_months_after_its_charge_counts_in_its_own_month(
    shop, deliver_ok, report_over_http
):
    customer = shop.customer(metadata={"user_id": "user-late-refund"})
    card = shop.card(customer.id)
    charge = shop.pay_at(customer.id, card.id, 10000, at(2025, 1, 15))
    refund = shop.refund(charge.id, amount=4000)
    shop.backdate(refund, at(2025, 3, 10))
    deliver_ok("charge.succeeded", charge)
    deliver_ok("charge.refunded", stripe.Charge.retrieve(charge.id))

    # January: 100.00 charged; February: nothing; March: the 40.00 refund alone.
    get = report_over_http
    overview = by(
        shown_table(get, "reports:overview", "money", start="2025-01", end="2025-03"), "Month"
    )
    assert [overview["2025-01"][k] for k in ("Gross", "Refunded", "Net revenue")] == [
        "100.00",
        "0.00",
        "100.00",
    ]
    # refunded is shown as a positive amount; net revenue goes down by it
    assert [
        overview[m][k] for m in ("2025-02", "2025-03") for k in ("Refunded", "Net revenue")
    ] == [
        "0.00",
        "0.00",
        "40.00",
        "-40.00",
    ]

    monthly = by(
        shown_table(get, "reports:ltv", "monthly", start="2025-01", end="2025-03"), "Month"
    )
    assert {m: row["Net revenue"] for m, row in monthly.items()} == {
        "2025-01": "100.00",
        "2025-02": "0.00",
        "2025-03": "-40.00",
    }

    cohort_params = {"start": "2025-01", "end": "2025-03", "cohort": "2025-01"}
    detail = by(shown_table(get, "reports:cohorts", "retention_detail", **cohort_params), "Month")
    # the January cohort's net revenue by month; revenue retention = month net / 100.00
    assert (detail["2025-01"]["Net revenue"], detail["2025-03"]["Net revenue"]) == (
        "100.00",
        "-40.00",
    )
    assert detail["2025-03"]["Revenue retention"] == "-40.00"
    followed = by(shown_table(get, "reports:cohorts", "follow_cohort", **cohort_params), "Month")
    assert {m: row["Net revenue"] for m, row in followed.items()} == {
        "2025-01": "100.00",
        "2025-02": "0.00",
        "2025-03": "-40.00",
    }


# --- 2. paying again a year later is returning, not retained --------------------------------


def test_customer_paying_again_a_year_later_is_returning_not_retained(
    shop, deliver_ok, report_over_http
):
    # Both pay in January 2024; one again in January 2025 (eleven months skipped), the
    # other in February 2025 (twelve skipped: same month number as the month before).
    payments = {
        "eleven": [at(2024, 1), at(2025, 1)],
        "twelve": [at(2024, 1, 12), at(2025, 2)],
    }
    for name, moments in payments.items():
        customer = shop.customer(email=f"{name}@example.com", metadata={"user_id": name})
        card = shop.card(customer.id)
        for moment in moments:
            deliver_ok("charge.succeeded", shop.pay_at(customer.id, card.id, 2000, moment))
    first, last = dt.date(2024, 1, 1), dt.date(2025, 3, 1)
    expected = flow_by_hand(
        {name: {m.date().replace(day=1) for m in moments} for name, moments in payments.items()},
        first,
        last,
    )
    # what the hand computation gives, spelt out for the months that matter
    assert expected["2024-02"]["Churned"] == 2 and expected["2024-02"]["Churn"] == "100.00"
    assert (expected["2025-01"]["Returning"], expected["2025-02"]["Returning"]) == (1, 1)
    assert expected["2025-02"]["Retained"] == 0

    get = report_over_http
    params = {"start": "2024-01", "end": "2025-03"}
    flow = by(shown_table(get, "reports:cohorts", "customer_flow", **params), "Month")
    assert {
        month: {k: int(row[k]) for k in ("New", "Retained", "Returning", "Churned")}
        for month, row in flow.items()
    } == {
        month: {k: v for k, v in row.items() if k in ("New", "Retained", "Returning", "Churned")}
        for month, row in expected.items()
    }
    monthly = by(shown_table(get, "reports:ltv", "monthly", **params), "Month")
    assert {
        month: (int(row["Paying the month before"]), int(row["Churned"]), row["Churn"])
        for month, row in monthly.items()
    } == {
        month: (row["Paying the month before"], row["Churned"], row["Churn"])
        for month, row in expected.items()
    }


# --- 4. the 2 % churn floor of the predicted remaining value -------------------------------


def test_predicted_value_uses_the_two_percent_floor_at_zero_and_one_percent_churn(
    shop, deliver_ok, report_over_http
):
    # "steady" pays 10.00 every month from January 2021 (month 0) to March 2025 (month 50);
    # "once" pays 10.00 in February 2025 (month 49) only and so churns in March 2025.
    # Churn of months 1..49 is 0 (nobody who paid the month before stops); of month 50 it
    # is 1/2 ("steady" and "once" paid in February, "once" stops). Averages over the full
    # months selected: Feb 2021..Feb 2025 -> 0; Feb 2021..Mar 2025 -> (1/2) / 50 = 1 %.
    steady = shop.customer(email="steady@example.com", metadata={"user_id": "steady"})
    steady_card = shop.card(steady.id)
    for index in range(month_index(dt.date(2021, 1, 1)), month_index(dt.date(2025, 3, 1)) + 1):
        month = month_at(index)
        moment = at(month.year, month.month)
        deliver_ok("charge.succeeded", shop.pay_at(steady.id, steady_card.id, 1000, moment))
    once = shop.customer(email="once@example.com", metadata={"user_id": "once"})
    deliver_ok("charge.succeeded", shop.pay_at(once.id, shop.card(once.id).id, 1000, at(2025, 2)))

    get = report_over_http
    zero = {"start": "2021-02", "end": "2025-02"}
    one = {"start": "2021-02", "end": "2025-03"}
    assert by(shown_table(get, "reports:ltv", "ltv", **zero), "Average churn").keys() == {"0.00"}
    assert by(shown_table(get, "reports:ltv", "ltv", **one), "Average churn").keys() == {"1.00"}

    # predicted = spend x (1 - c)^(g + 1) / c with c = max(churn, 2 %) = 2 % in both cases and
    # spend = 10.00 (every customer paid 10.00 in each month of their span):
    # g = 0 -> 10.00 x 0.98 / 0.02 = 490.00; g = 1 -> 10.00 x 0.98^2 / 0.02 = 480.20.
    # Without the floor: a division by zero at 0 %, 10.00 x 0.99 / 0.01 = 990.00 at 1 %.
    at_zero = by(shown_table(get, "reports:ltv", "customers", **zero), "Email")
    assert {email: row["Predicted remaining value"] for email, row in at_zero.items()} == {
        "steady@example.com": "490.00",
        "once@example.com": "490.00",
    }
    at_one = by(shown_table(get, "reports:ltv", "customers", **one), "Email")
    assert {email: row["Predicted remaining value"] for email, row in at_one.items()} == {
        "steady@example.com": "490.00",
        "once@example.com": "480.20",
    }


# --- 5. a user whose only charges failed is not a paying customer ---------------------------


def test_user_whose_charges_all_failed_is_an_install_but_not_a_paying_customer(
    live_server, shop, deliver_ok, report_over_http
):
    callback = live_server.url + reverse("warehouse:install_callback")
    for user in ("user-pays", "user-declined"):
        response = requests.post(
            callback,
            json={
                "install_id": f"install-{user}",
                "user_id": user,
                "device_id": f"device-{user}",
                "installed_at": "2025-03-05T09:00:00+00:00",
                "os_name": "Android",
                "app_name": "fitapp",
                "app_version": "4.2.0",
                "device_name": "Pixel 8",
                "channel_name": "search",
            },
            headers={"Authorization": f"Bearer {settings.ATTRIBUTION_CALLBACK_TOKEN}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
    payer = shop.customer(email="pays@example.com", metadata={"user_id": "user-pays"})
    deliver_ok("charge.succeeded", shop.pay_at(payer.id, shop.card(payer.id).id, 3000, at(2025, 3)))
    declined = shop.customer(email="declined@example.com", metadata={"user_id": "user-declined"})
    declined_card = shop.card(declined.id, number="4000000000000341")
    for day in (6, 7):
        failed = shop.pay_at(declined.id, declined_card.id, 3000, at(2025, 3, day))
        assert failed.status == "failed"
        deliver_ok("charge.failed", failed)

    funnel = by(
        shown_table(
            report_over_http,
            "reports:channels",
            "funnel",
            start="2025-03-01",
            end="2025-03-31",
            day="2025-03-05",
        ),
        "Channel",
    )
    # two first installs, one of them paid 30.00: conversion 1/2, 15.00 per install,
    # 30.00 per paying customer
    search = funnel["search"]
    assert [
        search[k]
        for k in (
            "First installs",
            "Paying customers",
            "Conversion",
            "Net revenue",
            "Revenue per install",
            "Net revenue per paying customer",
        )
    ] == ["2", "1", "50.00", "30.00", "15.00", "30.00"]
