"""Overview: money, refunds, disputes and failed payments per month (trailing 12 months by
default), each movement in the month it happened."""

import datetime as dt

from reports import charts
from reports.forms import TrailingMonthsForm
from reports.models import TransactionReport
from reports.pages.base import Page
from reports.tables import Column, Table
from warehouse.calendar import month_start, reporting_today


def overview_page(*, start: dt.date, end: dt.date) -> dict:
    currency = TransactionReport.objects.settlement_currency()
    rows = TransactionReport.objects.month_movements(start, end)
    current_month = month_start(reporting_today())
    has_data = any(r["succeeded_charges"] or r["failed_charges"] or r["refund_count"] for r in rows)
    empty = (
        "No payments in these months. The data starts with the first payment; choose months "
        "after it, or a wider range."
    )
    money = Table(
        name="money",
        title="Money by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("gross"),
            Column.of("refunded"),
            Column.of("dispute_funds_withdrawn"),
            Column.of("dispute_funds_reinstated"),
            Column.of("net_revenue"),
            Column.of("processing_fees"),
            Column.of("dispute_fees"),
            Column.of("paying_customers"),
            Column.of("arpu"),
        ],
        rows=rows if has_data else [],
        empty_text=empty,
        help_text="Net revenue = gross − refunded − dispute funds withdrawn + dispute funds "
        "reinstated, before Stripe fees (processing and dispute fees shown apart). "
        "The current month is to date.",
    )
    refunds_disputes = Table(
        name="refunds_disputes",
        title="Refunds, disputes and failed payments by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("refund_count"),
            Column.of("refunded"),
            Column.of("refund_rate"),
            Column.of("disputes_opened"),
            Column.of("disputes_won"),
            Column.of("disputes_lost"),
            Column.of("dispute_funds_withdrawn"),
            Column.of("dispute_funds_reinstated"),
            Column.of("dispute_fees"),
            Column.of("refunds_and_disputes_cost"),
            Column.of("succeeded_charges"),
            Column.of("failed_charges"),
            Column.of("failed_payment_rate"),
        ],
        rows=rows if has_data else [],
        empty_text=empty,
        help_text="Withdrawals and reinstatements are separate columns, each in its own month: "
        "a dispute won later never hides this month's withdrawal. Won and lost count the "
        "disputes opened in the month by their outcome so far.",
    )
    chart_list = []
    if has_data:
        months = [r["month"] for r in rows]
        unit = currency.upper()
        chart_list.append(
            charts.chart(
                "overview-cost",
                [
                    *charts.month_bars(
                        "Refunded",
                        months,
                        [charts.major(r["refunded"], currency) for r in rows],
                        current_month,
                    ),
                    *charts.month_bars(
                        "Dispute funds withdrawn",
                        months,
                        [charts.major(r["dispute_funds_withdrawn"], currency) for r in rows],
                        current_month,
                    ),
                    *charts.month_bars(
                        "Dispute fees",
                        months,
                        [charts.major(r["dispute_fees"], currency) for r in rows],
                        current_month,
                    ),
                    *charts.month_bars(
                        "Funds reinstated (back)",
                        months,
                        [-charts.major(r["dispute_funds_reinstated"], currency) for r in rows],
                        current_month,
                    ),
                ],
                charts.layout(
                    f"Refunds and disputes cost ({unit})",
                    barmode="relative",
                    yaxis={"title": {"text": unit}, "rangemode": "tozero"},
                ),
            )
        )
        chart_list.append(
            charts.chart(
                "overview-net",
                charts.month_bars(
                    f"Net revenue ({unit})",
                    months,
                    [charts.major(r["net_revenue"], currency) for r in rows],
                    current_month,
                ),
                charts.layout(
                    f"Net revenue ({unit})",
                    yaxis={"title": {"text": unit}},
                    showlegend=False,
                ),
            )
        )
    return {
        "tables": [refunds_disputes, money],
        "charts": chart_list,
        "currency": currency,
    }


PAGE = Page(
    name="overview",
    title="Overview",
    route="overview/",
    build=overview_page,
    form=TrailingMonthsForm,
    intro="Money in the settlement currency, before Stripe fees; each movement counts in the "
    "month it happened, in the reporting time zone. A customer pays in a month with at least "
    "one succeeded charge in it.",
)
