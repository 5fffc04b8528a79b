"""The MRR page and its queries against the plain-Python oracle, exactly.

The warehouse is filled from the MRR scenario (tests/warehouse/mrr_scenarios.py) through
dj-stripe; every monthly metric of /reports/mrr/ is recomputed here from the oracle's
customer MRR per day (tests/warehouse/mrr_oracle.py), with the rounding docs/metrics.md
states (half away from zero: ARPA and LTV 2 decimals, rates 6, Quick Ratio 4).
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from django.conf import settings
from django.urls import reverse

from reports.models import MrrMovementReport
from tests.warehouse import mrr_scenarios
from tests.warehouse.billing import sync
from tests.warehouse.mrr_oracle import MrrOracle
from warehouse.money import major_units

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2025, 1, 1), dt.date(2025, 6, 1)
TODAY = dt.date(2025, 7, 15)


def rounded(value: Fraction | None, places: int) -> Decimal | None:
    """PostgreSQL's round(numeric, places): half away from zero."""
    if value is None:
        return None
    scaled = abs(value) * 10**places
    whole = int(scaled + Fraction(1, 2))
    return Decimal(whole if value >= 0 else -whole).scaleb(-places)


def ratio(numerator, denominator) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


def month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    result = []
    while first <= last:
        result.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return result


def expected_monthly(oracle: MrrOracle) -> tuple[list[dict], dict]:
    customers = oracle.customers()
    by_month = defaultdict(list)
    for movement in oracle.movements():
        by_month[movement.date.replace(day=1)].append(movement)

    def state(day):
        values = [oracle.customer_mrr(c, day) for c in customers]
        return sum(values), sum(1 for v in values if v > 0)

    rows, arpas, churns = [], [], []
    for month in months(FIRST, LAST):
        mrr_start, customers_start = state(month - dt.timedelta(days=1))
        mrr, with_mrr = state(month_end(month))
        moves = by_month[month]
        amount = {
            k: sum(m.amount for m in moves if m.movement_type == k)
            for k in ("new", "expansion", "reactivation", "contraction", "churn")
        }
        count = {k: len({m.customer_id for m in moves if m.movement_type == k}) for k in amount}
        gains = amount["new"] + amount["expansion"] + amount["reactivation"]
        losses = -(amount["contraction"] + amount["churn"])
        arpa = ratio(mrr, with_mrr)
        churn = ratio(count["churn"], customers_start)
        arpas.append(arpa)
        churns.append(churn)
        rows.append(
            {
                "month": month,
                "mrr_start": mrr_start,
                "mrr": mrr,
                "arr": 12 * mrr,
                "customers_start": customers_start,
                "customers": with_mrr,
                "new_mrr": amount["new"],
                "expansion_mrr": amount["expansion"],
                "reactivation_mrr": amount["reactivation"],
                "contraction_mrr": amount["contraction"],
                "churn_mrr": amount["churn"],
                "new_customers": count["new"],
                "expansion_customers": count["expansion"],
                "reactivation_customers": count["reactivation"],
                "contraction_customers": count["contraction"],
                "churned_customers": count["churn"],
                "net_new_mrr": mrr - mrr_start,
                "quick_ratio": rounded(ratio(gains, losses), 4),
                "arpa": rounded(arpa, 2),
                "customer_churn_rate": rounded(churn, 6),
                "gross_mrr_churn_rate": rounded(ratio(losses, mrr_start), 6),
                "net_mrr_churn_rate": rounded(ratio(losses - gains + amount["new"], mrr_start), 6),
            }
        )
    known_arpas = [a for a in arpas if a is not None]
    known_churns = [c for c in churns if c is not None]
    average_arpa = sum(known_arpas) / len(known_arpas)
    average_churn = sum(known_churns) / len(known_churns)
    summary = {
        "full_months": len(rows),
        "arpa_months": len(known_arpas),
        "churn_months": len(known_churns),
        "average_arpa": rounded(average_arpa, 2),
        "average_churn": rounded(average_churn, 6),
        "ltv": rounded(average_arpa / average_churn, 2) if average_churn else None,
    }
    return rows, summary


@pytest.fixture
def filled(stripe_double):
    billing, cases = mrr_scenarios.build()
    sync(billing.objects())
    oracle = MrrOracle(
        billing.objects(), time_zone=settings.TIME_ZONE, grace_days=settings.MRR_PAST_DUE_GRACE_DAYS
    )
    return oracle, cases


def test_monthly_metrics_equal_plain_python(filled):
    oracle, _ = filled
    rows, summary = MrrMovementReport.objects.monthly_report(FIRST, LAST, TODAY)
    expected_rows, expected_summary = expected_monthly(oracle)
    assert rows == expected_rows
    assert summary == expected_summary
    # net new MRR is the change in MRR, month by month
    assert all(row["net_new_mrr"] == row["mrr"] - row["mrr_start"] for row in rows)
    check_daily_mrr_and_by_plan(oracle)
    check_cohorts(oracle)


def test_current_month_to_date_equals_plain_python(filled):
    """The current month's row counts the movements up to today (mart_mrr_day): amounts,
    distinct customers per type (a customer with two expansions in May counts once, from the
    first), MRR and customers with MRR at today, for days of May 2025 on and around its
    movements."""
    oracle, cases = filled
    customers = oracle.customers()
    may = dt.date(2025, 5, 1)
    in_may = [m for m in oracle.movements() if m.date.replace(day=1) == may]
    days = sorted(
        {m.date for m in in_may}
        | {m.date - dt.timedelta(days=1) for m in in_may if m.date > may}
        | {dt.date(2025, 5, 31)}
    )
    assert {m.date for m in in_may if m.customer_id == cases["two_expansions"]} >= {
        dt.date(2025, 5, 10),
        dt.date(2025, 5, 20),
    }
    for today in days:
        (row,), _ = MrrMovementReport.objects.monthly_report(may, may, today)
        so_far = [m for m in in_may if m.date <= today]
        values = [oracle.customer_mrr(c, today) for c in customers]
        expected = {"mrr": sum(values), "customers": sum(1 for v in values if v > 0)}
        for kind, (amount_key, count_key) in {
            "new": ("new_mrr", "new_customers"),
            "expansion": ("expansion_mrr", "expansion_customers"),
            "reactivation": ("reactivation_mrr", "reactivation_customers"),
            "contraction": ("contraction_mrr", "contraction_customers"),
            "churn": ("churn_mrr", "churned_customers"),
        }.items():
            expected[amount_key] = sum(m.amount for m in so_far if m.movement_type == kind)
            expected[count_key] = len({m.customer_id for m in so_far if m.movement_type == kind})
        assert {key: row[key] for key in expected} == expected, today
    # the month's expansion customers, at its end: fewer than its expansions
    (row,), _ = MrrMovementReport.objects.monthly_report(may, may, dt.date(2025, 5, 31))
    assert row["expansion_customers"] < sum(1 for m in in_may if m.movement_type == "expansion")


def check_daily_mrr_and_by_plan(oracle):
    first, last = dt.date(2025, 1, 25), dt.date(2025, 3, 10)
    daily = MrrMovementReport.objects.daily_mrr(first, last)
    assert [(row["day"], row["mrr"]) for row in daily] == [
        (day, sum(oracle.customer_mrr(c, day) for c in oracle.customers()))
        for day in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    ]
    plans = MrrMovementReport.objects.by_plan(dt.date(2025, 3, 31))
    assert sum(row["mrr"] for row in plans) == sum(
        oracle.customer_mrr(c, dt.date(2025, 3, 31)) for c in oracle.customers()
    )
    # per price, on a month end and mid-month (mart_mrr_price_month + that month's changes)
    for day in (dt.date(2025, 3, 31), dt.date(2025, 2, 14), dt.date(2025, 5, 1)):
        expected = oracle.price_mrr(day)
        assert expected
        assert {
            row["price_id"]: (row["mrr"], row["subscriptions"])
            for row in MrrMovementReport.objects.by_plan(day)
        } == expected


def check_cohorts(oracle):
    rows = MrrMovementReport.objects.cohorts(FIRST, LAST)
    expected = oracle.cohorts(LAST)
    assert rows
    for row in rows:
        mrr, gross, customers = expected[(row["cohort_month"], row["month"])]
        start = expected[(row["cohort_month"], row["cohort_month"])][0]
        assert (row["mrr"], row["gross_mrr"], row["customers"]) == (mrr, gross, customers)
        assert row["net_retention"] == rounded(ratio(mrr, start), 6)
        assert row["gross_retention"] == rounded(ratio(gross, start), 6)


def check_mrr_by_channel(oracle, cases):
    from tests.factories import DimChannelFactory, FactInstallFactory
    from warehouse.models import DimCustomer
    from warehouse.services import change_set as changes
    from warehouse.services.marts import refresh_marts

    ads, organic = DimChannelFactory(channel_name="ads"), DimChannelFactory(channel_name="organic")
    attributed = {"annual": ads, "quarterly": ads, "jpy": organic}
    for name, channel in attributed.items():
        DimCustomer.objects.filter(stripe_id=cases[name]).update(user_id=f"user-{name}")
        # what the change set's marts step runs for a customer whose dim_customer row synced
        refresh_marts({changes.CUSTOMER: [cases[name]]})
        FactInstallFactory(user_id=f"user-{name}", channel=channel)
    day = dt.date(2025, 3, 31)
    mrr = {c: oracle.customer_mrr(c, day) for c in oracle.customers()}
    expected = defaultdict(lambda: [0, 0])
    for name, customer_id in cases.items():
        channel = attributed[name].channel_name if name in attributed else None
        expected[channel][0] += mrr.get(customer_id, 0)
        expected[channel][1] += 1 if mrr.get(customer_id, 0) > 0 else 0
    rows = MrrMovementReport.objects.by_channel(day)
    assert {r["channel_name"]: [r["mrr"], r["customers_with_mrr"]] for r in rows} == {
        channel: values for channel, values in expected.items() if values[0] > 0
    }


def test_page_drill_down_csv_and_bad_filters(filled, manager_client):
    oracle, cases = filled
    check_mrr_by_channel(oracle, cases)
    channels = manager_client.get(
        reverse("reports:channels"), {"start": "2025-01-01", "end": "2025-03-31"}
    )
    assert 'data-table="channel_mrr"' in channels.content.decode()
    response = manager_client.get(
        reverse("reports:mrr"),
        {
            "start": "2025-01",
            "end": "2025-06",
            "movement_month": "2025-03",
            "movement_type": "churn",
            "export": "movements",
        },
    )
    assert response.status_code == 200
    listed = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = [
        m
        for m in oracle.movements()
        if m.movement_type == "churn" and m.date.replace(day=1) == dt.date(2025, 3, 1)
    ]
    assert sorted(row["customer_id"] for row in listed) == sorted(m.customer_id for m in expected)
    assert cases["cancel_now"] in {row["customer_id"] for row in listed}
    url = reverse("reports:mrr")
    response = manager_client.get(url, {"start": "2025-01", "end": "2025-06"})
    assert response.status_code == 200
    body = response.content.decode()
    for table in ("now", "monthly", "ltv", "plans", "cohorts_net", "cohorts_gross"):
        assert f'data-table="{table}"' in body
    assert "movement_type=expansion" in body  # monthly cells link to the drill-down
    monthly_csv = manager_client.get(
        url, {"start": "2025-01", "end": "2025-06", "export": "monthly"}
    )
    rows = list(csv.DictReader(io.StringIO(monthly_csv.content.decode())))
    assert [row["month"] for row in rows] == [f"2025-0{n}" for n in range(1, 7)]
    assert (
        manager_client.get(
            url, {"movement_type": "sideways", "movement_month": "2025-01"}
        ).status_code
        == 400
    )
    assert manager_client.get(url, {"movement_type": "churn"}).status_code == 400
    assert manager_client.get(url, {"start": "2025-13"}).status_code == 400


def test_empty_page(manager_client):
    response = manager_client.get(reverse("reports:mrr"))
    assert response.status_code == 200
    assert "No recurring revenue" in response.content.decode()


def test_home_leads_with_mrr_and_arr_cards_of_the_last_full_month(
    filled, manager_client, monkeypatch
):
    oracle, _ = filled

    def mrr_at(day):
        return sum(oracle.customer_mrr(customer, day) for customer in oracle.customers())

    # a last full month whose MRR differs from the month before's: the change is not 0
    month, before = next(
        (m, b)
        for b, m in zip(months(FIRST, LAST), months(FIRST, LAST)[1:], strict=False)
        if mrr_at(month_end(m)) != mrr_at(month_end(b))
    )
    today = month_end(month) + dt.timedelta(days=10)
    monkeypatch.setattr("reports.pages.home.reporting_today", lambda: today)

    response = manager_client.get(reverse("reports:home"))

    cards = response.context["cards"]
    assert [card["id"] for card in cards[:2]] == ["mrr", "arr"]
    value, previous = mrr_at(month_end(month)), mrr_at(month_end(before))
    assert (cards[0]["value"], cards[0]["previous"]) == (value, previous)
    assert (cards[1]["value"], cards[1]["previous"]) == (12 * value, 12 * previous)
    assert cards[0]["period"] == month.strftime("%Y-%m")
    export = manager_client.get(reverse("reports:home"), {"export": "headline"})
    header, *rows = list(csv.reader(io.StringIO(export.content.decode())))
    by_key = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    currency = response.context["currency"]
    assert by_key["arr"]["value"] == str(major_units(12 * value, currency))


def test_charts_draw_the_current_month_as_partial(filled, manager_client, monkeypatch):
    """July 2025 is the current month (today 2025-07-15): its bars are hatched, the lines
    into it dashed, and the cohort heatmap cells falling in it marked *; no full month is."""
    monkeypatch.setattr("reports.pages.mrr.reporting_today", lambda: TODAY)
    current = "2025-07"

    response = manager_client.get(reverse("reports:mrr"), {"start": "2025-01", "end": current})

    specs = {chart["id"]: chart["spec"]["data"] for chart in response.context["charts"]}
    labels = [f"2025-0{n}" for n in range(1, 8)]
    movements = specs["mrr-movements"]
    bars = [trace for trace in movements if trace["type"] == "bar"]
    assert [bar["name"] for bar in bars] == [
        "New",
        "Expansion",
        "Reactivation",
        "Contraction",
        "Churn",
    ]
    for bar in bars:
        assert bar["x"] == labels
        assert bar["marker"]["pattern"]["shape"] == [""] * 6 + ["/"]
    for chart_id, name in (("mrr-movements", "Net new MRR"), ("mrr-over-time", "MRR at month end")):
        lines = [t for t in specs[chart_id] if t["type"] == "scatter"]
        solid, dashed = lines
        assert solid["name"] == name and "dash" not in solid.get("line", {})
        assert solid["y"][-1] is None and None not in solid["y"][:-1]
        assert dashed["line"]["dash"] == "dash"
        assert dashed["y"][:5] == [None] * 5  # only June (its start) to July
        assert dashed["y"][5:] == solid["y"][5:6] + [dashed["y"][6]] and dashed["y"][6] is not None
    marked = 0
    for chart_id in ("mrr-cohorts-net", "mrr-cohorts-gross"):
        (heatmap,) = specs[chart_id]
        for cohort, row in zip(heatmap["y"], heatmap["text"], strict=True):
            first = dt.date.fromisoformat(f"{cohort}-01")
            for k, text in enumerate(row):
                month = (first + dt.timedelta(days=31 * k + 1)).strftime("%Y-%m")
                if text:
                    assert text.endswith("*") == (month == current), (chart_id, cohort, k, text)
                    marked += month == current
    assert marked >= 2  # at least one cohort reaches July, in each heatmap


def test_headline_now_and_last_month_end_equal_the_oracle_whatever_the_range(
    filled, manager_client, monkeypatch
):
    """The headline reuses the range's rows when they hold last and this month, and asks
    for those two months otherwise: the same values either way."""
    oracle, _ = filled

    def mrr_at(day):
        return sum(oracle.customer_mrr(customer, day) for customer in oracle.customers())

    last_month_end = dt.date(2025, 3, 31)
    # a day whose MRR differs from last month end's, so a swapped month would show
    today = next(
        dt.date(2025, 4, day)
        for day in range(1, 31)
        if mrr_at(dt.date(2025, 4, day)) != mrr_at(last_month_end)
    )
    monkeypatch.setattr("reports.pages.mrr.reporting_today", lambda: today)
    expected = (mrr_at(today), mrr_at(last_month_end))
    for end in ("2025-02", "2025-04"):  # without, then with last and this month
        export = manager_client.get(
            reverse("reports:mrr"), {"start": "2025-01", "end": end, "export": "now"}
        )
        assert export.status_code == 200
        header, *rows = list(csv.reader(io.StringIO(export.content.decode())))
        currency = header[1].split("(")[1].rstrip(")").lower()
        by_measure = {row[0]: row for row in rows}
        assert by_measure["MRR"][1:3] == [str(major_units(value, currency)) for value in expected]
        assert by_measure["ARR"][1] == str(major_units(12 * expected[0], currency))
