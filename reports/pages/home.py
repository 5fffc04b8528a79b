"""Home: headline cards, each a value, its change against the previous period and a
12-month sparkline.

A card is one declaration in CARDS: the metric (wording from reports.metrics), the series it
reads from HomeData, and whether it compares the current month to date with the same days of
the previous month, or the last full month with the month before. MRR and ARR lead: the
recurring revenue at the end of the last full month (from the MRR marts).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from reports import charts, formatting
from reports.metrics import metric
from reports.models import MonthReport, MrrMovementReport, TransactionReport
from reports.pages.base import Page
from reports.tables import Column, Table
from warehouse.calendar import add_months, month_start, reporting_today

SPARKLINE_MONTHS = 12
LTV_WINDOW_MONTHS = 6


class HomeData:
    """Everything the cards read, each query run once: per month of the last 12 full months
    and the current month to date, and the previous month through the same day."""

    def __init__(self, today: dt.date):
        self.today = today
        self.current_month = month_start(today)
        self.last_full_month = add_months(self.current_month, -1)
        self.first_month = add_months(self.current_month, -SPARKLINE_MONTHS)
        self.currency = TransactionReport.objects.settlement_currency()

    @cached_property
    def movements(self) -> dict:
        rows = TransactionReport.objects.month_movements(self.first_month, self.current_month)
        return {row["month"]: row for row in rows}

    @cached_property
    def same_days_last_month(self) -> dict:
        """The previous month's days 1..today's day (the whole month if it is shorter)."""
        (row,) = TransactionReport.objects.month_movements(
            self.last_full_month, self.last_full_month, through_day=self.today.day
        )
        return row

    @cached_property
    def monthly(self) -> dict:
        rows = MonthReport.objects.monthly_metrics(
            self.first_month, self.current_month, self.current_month
        )
        return {row["month"]: row for row in rows}

    @cached_property
    def ltv(self) -> dict:
        rows = MonthReport.objects.ltv_over_time(
            self.first_month,
            self.last_full_month,
            window_months=LTV_WINDOW_MONTHS,
            current_month=self.current_month,
        )
        return {row["month"]: row for row in rows}

    @cached_property
    def mrr(self) -> dict:
        rows, _ = MrrMovementReport.objects.monthly_report(
            self.first_month, self.current_month, self.today
        )
        return {row["month"]: row for row in rows}


def movements_series(key: str) -> Callable[[HomeData], dict]:
    return lambda data: {month: row[key] for month, row in data.movements.items()}


def churn_series(data: HomeData) -> dict:
    return {m: row["churn_rate"] for m, row in data.monthly.items() if m < data.current_month}


def mrr_series(data: HomeData) -> dict:
    return {month: row["mrr"] for month, row in data.mrr.items()}


def arr_series(data: HomeData) -> dict:
    return {month: row["arr"] for month, row in data.mrr.items()}


def ltv_series(data: HomeData) -> dict:
    return {month: row["ltv"] for month, row in data.ltv.items()}


@dataclass(frozen=True)
class Card:
    metric: str  # key in reports.metrics
    series: Callable[[HomeData], dict]  # month -> value
    to_date: bool  # this month to date vs the same days of last month; else full months
    title: str = ""  # default: the metric's label
    note: str = ""
    lower_is_better: bool = False
    key: str = ""  # default: the metric key (two cards may show one metric)

    @property
    def id(self) -> str:
        return self.key or self.metric


CARDS = [
    # recurring revenue first: MRR and ARR at the end of the last full month
    Card("mrr", mrr_series, to_date=False, note="At the end of the month shown."),
    Card("arr", arr_series, to_date=False, note="12 × MRR at the end of the month shown."),
    Card(
        "net_revenue",
        movements_series("net_revenue"),
        to_date=False,
        key="revenue_last_month",
        title="Net revenue (last full month)",
    ),
    Card("net_revenue", movements_series("net_revenue"), to_date=True),
    Card(
        "refunds_and_disputes_cost",
        movements_series("refunds_and_disputes_cost"),
        to_date=True,
        lower_is_better=True,
    ),
    Card(
        "ltv",
        ltv_series,
        to_date=False,
        note=f"Over the {LTV_WINDOW_MONTHS} full months up to the month shown.",
    ),
    Card("paying_customers", movements_series("paying_customers"), to_date=True),
    Card("arpu", movements_series("arpu"), to_date=True),
    Card("churn_rate", churn_series, to_date=False, lower_is_better=True),
]


def change(value, previous, kind: str) -> tuple[Decimal | None, str]:
    """(change, unit): relative change in % for amounts and counts; the difference in
    percentage points for rates. None when there is nothing to compare with."""
    if value is None or previous is None:
        return None, ""
    if kind == "rate":
        return formatting.percent(Decimal(value) - Decimal(previous)), "pp"
    if previous == 0:
        return None, ""
    return formatting.percent((Decimal(value) - Decimal(previous)) / abs(Decimal(previous))), "%"


def build_card(card: Card, data: HomeData) -> dict:
    entry = metric(card.metric)
    series = card.series(data)
    if card.to_date:
        month = data.current_month
        value = series.get(month)
        previous = data.same_days_last_month[card.metric]
        period = f"{charts.month_label(month)} to date (1–{data.today.day})"
        previous_period = f"{charts.month_label(data.last_full_month)} 1–{data.today.day}"
        months = [add_months(month, -k) for k in range(SPARKLINE_MONTHS - 1, -1, -1)]
    else:
        month = data.last_full_month
        value = series.get(month)
        previous = series.get(add_months(month, -1))
        period = charts.month_label(month)
        previous_period = charts.month_label(add_months(month, -1))
        months = [add_months(month, -k) for k in range(SPARKLINE_MONTHS - 1, -1, -1)]
    delta, unit = change(value, previous, entry.kind)
    trend = "flat" if not delta else ("up" if delta > 0 else "down")
    good = None if trend == "flat" else (trend == "down") == card.lower_is_better
    return {
        "id": card.id,
        "metric": entry,
        "title": card.title or entry.label,
        "note": card.note,
        "period": period,
        "previous_period": previous_period,
        "value": value,
        "previous": previous,
        "text": formatting.display_value(value, entry.kind, data.currency),
        "previous_text": formatting.display_value(previous, entry.kind, data.currency),
        "change": delta,
        "change_unit": unit,
        "change_text": "" if delta is None else f"{delta:+}{' pp' if unit == 'pp' else '%'}",
        "trend": trend,
        "good": good,
        "sparkline": charts.sparkline(
            [_plain(series.get(m), entry.kind, data.currency) for m in months],
            partial_last=card.to_date,
        ),
        "sparkline_label": f"{charts.month_label(months[0])} to {charts.month_label(months[-1])}",
    }


def _csv_or_none(value, kind, currency):
    return None if value is None else formatting.csv_value(value, kind, currency)


def _plain(value, kind, currency):
    if value is None:
        return None
    return charts.major(value, currency) if kind == "money" else float(value)


def home_page() -> dict:
    data = HomeData(reporting_today())
    cards = [build_card(card, data) for card in CARDS]
    headline = Table(
        name="headline",
        title="The cards’ numbers",
        currency=data.currency,
        columns=[
            Column("metric", "Metric key", html=False),
            Column("title", "Metric"),
            Column("period", "Period"),
            Column("value", "Value"),
            Column("previous_period", "Compared with"),
            Column("previous", "Then"),
            Column("change", "Change"),
            Column("change_unit", "Unit of change"),
        ],
        rows=[
            {
                "metric": card["id"],
                "title": card["title"],
                "period": card["period"],
                "value": _csv_or_none(card["value"], card["metric"].kind, data.currency),
                "previous_period": card["previous_period"],
                "previous": _csv_or_none(card["previous"], card["metric"].kind, data.currency),
                "change": card["change"],
                "change_unit": card["change_unit"] or None,
            }
            for card in cards
        ],
        help_text="The cards' numbers; money in major units, rates in %.",
    )
    has_data = any(card["value"] for card in cards)
    return {
        "cards": cards,
        "has_data": has_data,
        "tables": [headline],
        "charts": [],
        "currency": data.currency,
        "today": data.today,
    }


PAGE = Page(
    name="home",
    title="Home",
    route="",
    build=home_page,
    template="reports/home.html",
)
