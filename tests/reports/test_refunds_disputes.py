"""Refunds, disputes, fees and failed payments per month (TransactionReport.month_movements,
the overview and the home cards) against a plain-Python computation, compared exactly.

The history is built so that netting would lie: a dispute opened in March is won in April,
so April's reinstatement must not cancel March's withdrawal (nor April's own withdrawal);
one withdrawal happens at 03:00 UTC on 1 April, which is still March in New York.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from reports.formatting import percent
from reports.models import TransactionReport
from tests.factories import DimCustomerFactory, FactTransactionFactory, utc
from tests.reports.payments_dataset import rounded
from warehouse import services
from warehouse.models import FactTransaction
from warehouse.money import major_units

pytestmark = pytest.mark.django_db

T = FactTransaction.TransactionType
TIME_ZONE = "America/New_York"
MARCH, APRIL = dt.date(2025, 3, 1), dt.date(2025, 4, 1)


@dataclass(frozen=True)
class Move:
    customer: str
    stripe_id: str
    kind: str
    at: dt.datetime
    settled: int
    fee: int = 0
    status: str = "succeeded"


MOVES = [
    # amy: charged in March, disputed in March, dispute won in April (fee returned)
    Move("amy", "ch_amy1", T.CHARGE, utc(2025, 3, 5, 15), 10000, fee=320),
    Move("amy", "dp_amy", T.DISPUTE_WITHDRAWAL, utc(2025, 3, 20, 15), -10000, 1500, "won"),
    Move("amy", "dp_amy", T.DISPUTE_REINSTATEMENT, utc(2025, 4, 10, 15), 10000, -1500, "won"),
    # ben: charged and disputed in April, lost
    Move("ben", "ch_ben1", T.CHARGE, utc(2025, 4, 2, 15), 5000, fee=175),
    Move("ben", "dp_ben", T.DISPUTE_WITHDRAWAL, utc(2025, 4, 15, 15), -5000, 1500, "lost"),
    # cat: refunded in part in March and the rest in April
    Move("cat", "ch_cat1", T.CHARGE, utc(2025, 3, 1, 15), 3000, fee=117),
    Move("cat", "re_cat1", T.REFUND, utc(2025, 3, 25, 15), -1000),
    Move("cat", "re_cat2", T.REFUND, utc(2025, 4, 3, 15), -2000),
    # dan: a failed charge, then a succeeded one
    Move("dan", "ch_dan1", T.CHARGE, utc(2025, 3, 10, 15), 2000, status="failed"),
    Move("dan", "ch_dan2", T.CHARGE, utc(2025, 3, 11, 15), 2000, fee=88),
    # eve: disputed late in April, still open
    Move("eve", "ch_eve1", T.CHARGE, utc(2025, 4, 1, 15), 2000, fee=88),
    Move(
        "eve", "dp_eve", T.DISPUTE_WITHDRAWAL, utc(2025, 4, 28, 15), -2000, 1500, "needs_response"
    ),
    # fay: disputed at 03:00 UTC on 1 April = 31 March in New York, lost
    Move("fay", "ch_fay1", T.CHARGE, utc(2025, 3, 15, 15), 4000, fee=146),
    Move("fay", "dp_fay", T.DISPUTE_WITHDRAWAL, utc(2025, 4, 1, 3), -4000, 1500, "lost"),
]


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(TIME_ZONE))


def expected_month(month: dt.date, through_day: int | None = None, moves=MOVES) -> dict:
    """Every column of month_movements for one month, from `moves` (MOVES) alone."""
    moves = [
        m
        for m in moves
        if (local(m.at).year, local(m.at).month) == (month.year, month.month)
        and (through_day is None or local(m.at).day <= through_day)
    ]
    of = defaultdict(list)
    for move in moves:
        of[(move.kind, move.status if move.kind == T.CHARGE else "")].append(move)
    succeeded = of[(T.CHARGE, "succeeded")]
    failed = of[(T.CHARGE, "failed")]
    refunds = of[(T.REFUND, "")]
    withdrawals = of[(T.DISPUTE_WITHDRAWAL, "")]
    reinstatements = of[(T.DISPUTE_REINSTATEMENT, "")]
    gross = sum(m.settled for m in succeeded)
    refunded = -sum(m.settled for m in refunds)
    withdrawn = -sum(m.settled for m in withdrawals)
    reinstated = sum(m.settled for m in reinstatements)
    dispute_fees = sum(m.fee for m in withdrawals + reinstatements)
    net = gross - refunded - withdrawn + reinstated
    paying = len({m.customer for m in succeeded})
    return {
        "month": month,
        "gross": gross,
        "net_revenue": net,
        "paying_customers": paying,
        "arpu": rounded(Fraction(net, paying), 2) if paying else None,
        "refund_count": len(refunds),
        "refunded": refunded,
        "refund_rate": rounded(Fraction(refunded, gross), 6) if gross else None,
        "disputes_opened": len({m.stripe_id for m in withdrawals}),
        "disputes_won": len({m.stripe_id for m in withdrawals if m.status == "won"}),
        "disputes_lost": len({m.stripe_id for m in withdrawals if m.status == "lost"}),
        "dispute_funds_withdrawn": withdrawn,
        "dispute_funds_reinstated": reinstated,
        "dispute_fees": dispute_fees,
        "processing_fees": sum(m.fee for m in succeeded + refunds),
        "refunds_and_disputes_cost": refunded + withdrawn - reinstated + dispute_fees,
        "succeeded_charges": len(succeeded),
        "failed_charges": len(failed),
        "failed_payment_rate": rounded(Fraction(len(failed), len(succeeded) + len(failed)), 6)
        if succeeded or failed
        else None,
    }


def store(moves) -> dict:
    customers = {}
    for move in moves:
        if move.customer not in customers:
            customers[move.customer] = DimCustomerFactory(stripe_id=f"cus_{move.customer}")
        FactTransactionFactory(
            stripe_id=move.stripe_id,
            transaction_type=move.kind,
            status=move.status,
            customer=customers[move.customer],
            occurred_at=move.at,
            amount=move.settled,
            settlement_amount=None if move.status == "failed" else move.settled,
            fee=move.fee,
        )
    services.refresh_customer_months()
    return customers


@pytest.fixture
def history(settings):
    settings.TIME_ZONE = TIME_ZONE
    return store(MOVES)


def test_each_months_refunds_and_disputes_match_the_plain_computation(history):
    rows = TransactionReport.objects.month_movements(dt.date(2025, 2, 1), dt.date(2025, 5, 1))

    assert rows == [
        expected_month(month) for month in [dt.date(2025, 2, 1), MARCH, APRIL, dt.date(2025, 5, 1)]
    ]


def test_a_dispute_won_later_never_hides_the_withdrawal_of_its_month(history):
    march, april = TransactionReport.objects.month_movements(MARCH, APRIL)

    # March: amy's and fay's disputes withdrew 100.00 + 40.00; nothing came back in March
    assert march["dispute_funds_withdrawn"] == 14000
    assert march["dispute_funds_reinstated"] == 0
    assert (march["disputes_opened"], march["disputes_won"], march["disputes_lost"]) == (2, 1, 1)
    assert march["dispute_fees"] == 3000
    # April: ben's and eve's withdrawals stand beside amy's reinstatement
    assert april["dispute_funds_withdrawn"] == 7000
    assert april["dispute_funds_reinstated"] == 10000
    assert april["dispute_fees"] == 3000 - 1500
    # dispute fees are not processing fees
    assert march["processing_fees"] == 320 + 117 + 88 + 146


def test_to_date_keeps_only_the_same_days_of_each_month(history):
    (april_to_10th,) = TransactionReport.objects.month_movements(APRIL, APRIL, through_day=10)

    assert april_to_10th == expected_month(APRIL, through_day=10)
    assert april_to_10th["dispute_funds_reinstated"] == 10000
    assert april_to_10th["dispute_funds_withdrawn"] == 0


def test_a_month_to_date_with_refunds_but_no_charge_yet_keeps_their_fees(settings):
    # month_movements reads the charges to date apart from the refunds and disputes: a month
    # whose first days have only a refund (with a fee) must still count that fee
    settings.TIME_ZONE = TIME_ZONE
    may = dt.date(2025, 5, 1)
    moves = [
        Move("gus", "ch_gus1", T.CHARGE, utc(2025, 4, 20, 15), 6000, fee=204),
        Move("gus", "re_gus1", T.REFUND, utc(2025, 5, 3, 15), -6000, fee=25),
        Move("gus", "ch_gus2", T.CHARGE, utc(2025, 5, 20, 15), 3000, fee=117),
    ]
    store(moves)

    (may_to_10th,) = TransactionReport.objects.month_movements(may, may, through_day=10)

    assert may_to_10th == expected_month(may, through_day=10, moves=moves)
    assert may_to_10th["processing_fees"] == 25


def test_overview_columns_are_the_months_exact_values(history, manager_client):
    response = manager_client.get(
        reverse("reports:overview"),
        {"start": "2025-03", "end": "2025-04", "export": "refunds_disputes"},
    )

    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    for row, month in zip(rows, [MARCH, APRIL], strict=True):
        expected = expected_month(month)
        values = dict(zip(header, row, strict=True))
        assert values["month"] == month.strftime("%Y-%m")
        for key in ("refunded", "dispute_funds_withdrawn", "dispute_funds_reinstated"):
            assert values[f"{key} (USD)"] == str(major_units(expected[key], "usd"))
        assert values["dispute_fees (USD)"] == str(major_units(expected["dispute_fees"], "usd"))
        for key in ("refund_count", "disputes_opened", "disputes_won", "disputes_lost"):
            assert values[key] == str(expected[key])
        for key in ("refund_rate", "failed_payment_rate"):
            assert values[key] == str(percent(expected[key]))


def test_home_cards_compare_this_month_to_date_with_the_same_days_of_last_month(
    history, manager_client, monkeypatch
):
    # the reporting day is fixed at 30 April: March's 31st (fay's withdrawal, late on 31
    # March in New York) is not among "the same days" of last month
    monkeypatch.setattr("reports.pages.home.reporting_today", lambda: dt.date(2025, 4, 30))

    response = manager_client.get(reverse("reports:home"))
    export = manager_client.get(reverse("reports:home"), {"export": "headline"})

    cards = {card["id"]: card for card in response.context["cards"]}
    april, march_to_30th = expected_month(APRIL), expected_month(MARCH, through_day=30)
    assert march_to_30th["dispute_funds_withdrawn"] == 10000  # fay's 31 March withdrawal left out
    for key in ("net_revenue", "paying_customers", "arpu", "refunds_and_disputes_cost"):
        assert (cards[key]["value"], cards[key]["previous"]) == (april[key], march_to_30th[key])
        assert cards[key]["period"].startswith("2025-04 to date")
    header, *rows = list(csv.reader(io.StringIO(export.content.decode())))
    by_key = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    cost = by_key["refunds_and_disputes_cost"]
    assert cost["value"] == str(major_units(april["refunds_and_disputes_cost"], "usd"))
    assert cost["previous"] == str(major_units(march_to_30th["refunds_and_disputes_cost"], "usd"))
    change = (
        Fraction(april["refunds_and_disputes_cost"] - march_to_30th["refunds_and_disputes_cost"])
        / march_to_30th["refunds_and_disputes_cost"]
    )
    assert cost["change"] == str(rounded(change * 100, 2)) and cost["change_unit"] == "%"
    # the page shows the same number as the CSV
    html = response.content.decode()
    card_html = html[html.index('id="card-refunds_and_disputes_cost"') :]
    shown = card_html.split('class="card-value"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert shown.replace(",", "") == cost["value"]
