"""LTV: each full month's LTV over a trailing window (charted), its inputs, ARPU and churn by
month, and the customers with their values (paginated, sorted on the server)."""

import datetime as dt
from decimal import Decimal

from reports import charts, formatting
from reports.forms import LtvFilterForm
from reports.models import CustomerLifetimeReport, MonthReport, TransactionReport
from reports.pages.base import Page
from reports.pages.home import change
from reports.tables import Column, Table
from warehouse.calendar import month_start, reporting_today

CUSTOMERS_PER_PAGE = 50
CHURN_FLOOR = Decimal("0.02")


def ltv_page(
    *,
    start: dt.date,
    end: dt.date,
    window: int,
    sort: str,
    direction: str,
    page: int,
    exporting: bool = False,
) -> dict:
    manager = MonthReport.objects
    currency = TransactionReport.objects.settlement_currency()
    current_month = month_start(reporting_today())
    monthly, summary = manager.monthly_report(start, end, current_month)
    over_time = manager.ltv_over_time(start, end, window_months=window, current_month=current_month)
    if exporting:
        customers = CustomerLifetimeReport.objects.customer_values(
            start,
            end,
            churn_rate=summary["average_churn"],
            sort=sort,
            descending=direction == "desc",
        )
        total_customers = len(customers)
    else:
        customers, total_customers = CustomerLifetimeReport.objects.customer_values_page(
            start,
            end,
            churn_rate=summary["average_churn"],
            sort=sort,
            descending=direction == "desc",
            page=page,
            per_page=CUSTOMERS_PER_PAGE,
        )
    pages = max(1, -(-total_customers // CUSTOMERS_PER_PAGE))
    unit = currency.upper()
    no_full_month = (
        "No full month in this range: LTV needs at least one finished month. Choose a range "
        "ending before this month, or starting earlier."
    )
    over_time_table = Table(
        name="ltv_over_time",
        title=f"LTV by month (trailing {window} full months)",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("ltv"),
            Column.of("average_arpu"),
            Column.of("arpu_months"),
            Column.of("average_churn"),
            Column.of("churn_months"),
        ],
        rows=over_time if any(r["arpu_months"] or r["churn_months"] for r in over_time) else [],
        empty_text=no_full_month,
        help_text=f"LTV(m) = average ARPU / average churn over the {window} full months ending "
        "with m; without churn in the window there is no LTV (—).",
    )
    monthly_table = Table(
        name="monthly",
        title="ARPU and churn by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("net_revenue"),
            Column.of("paying_customers"),
            Column.of("arpu"),
            Column.of("previously_paying_customers"),
            Column.of("churned_customers"),
            Column.of("churn_rate"),
        ],
        rows=monthly
        if any(r["paying_customers"] or r["previously_paying_customers"] for r in monthly)
        else [],
        empty_text="No paying customers in these months: choose months after the first payment.",
        help_text="ARPU(m) = net revenue in m / customers paying in m. Churn(m) = share of the "
        "customers paying in the month before who do not pay in m. The current month is to date.",
    )
    ltv_table = Table(
        name="ltv",
        title="LTV of the whole range and its inputs",
        currency=currency,
        columns=[
            Column.of("full_months"),
            Column.of("average_arpu"),
            Column.of("arpu_months"),
            Column.of("average_churn"),
            Column.of("churn_months"),
            Column.of("ltv"),
        ],
        rows=[summary] if summary["arpu_months"] or summary["churn_months"] else [],
        empty_text=no_full_month,
        help_text="LTV = average ARPU / average churn over the selected full months (the current "
        "month is not full yet). Without any churn there is no LTV (shown as —).",
    )
    customers_table = Table(
        name="customers",
        title="Customers",
        currency=currency,
        columns=[
            Column("customer_id", "Customer", "customer", sortable=True, sort_key="customer"),
            Column("email", "Email"),
            Column.of("first_payment_month", sortable=True),
            Column.of("last_payment_month", sortable=True),
            Column.of("active_months", sortable=True),
            Column.of("span_months"),
            Column.of("total_net", sortable=True),
            Column.of("average_monthly_spend", sortable=True),
            Column.of("months_since_last_payment"),
            Column.of("predicted_remaining", sortable=True),
        ],
        rows=customers,
        sort=sort,
        descending=direction == "desc",
        empty_text="No customer paid in these months."
        if not total_customers
        else f"Page {page} is past the last page ({pages}).",
        help_text="Customers paying in the selected months; history up to the last month. "
        "Average monthly spend = total net / months from first to last payment month. "
        "Predicted remaining value = max(average monthly spend, 0) × (1 − c)^(g + 1) / c with "
        "c = max(average churn, 2 %) and g = months since the last payment.",
    )
    chart_list = []
    if over_time_table.rows:
        months = [r["month"] for r in over_time]
        chart_list.append(
            charts.chart(
                "ltv-over-time",
                charts.month_line(
                    f"LTV ({unit})",
                    months,
                    [charts.major(r["ltv"], currency) for r in over_time],
                    current_month,
                ),
                charts.layout(
                    f"LTV ({unit}), trailing {window} months",
                    yaxis={"title": {"text": unit}, "rangemode": "tozero"},
                    showlegend=False,
                ),
            )
        )
    if monthly_table.rows:
        months = [r["month"] for r in monthly]
        chart_list.append(
            charts.chart(
                "ltv-arpu-churn",
                [
                    *charts.month_bars(
                        f"ARPU ({unit})",
                        months,
                        [charts.major(r["arpu"], currency) for r in monthly],
                        current_month,
                    ),
                    *charts.month_line(
                        "Churn (%)",
                        months,
                        [charts.pct(r["churn_rate"]) for r in monthly],
                        current_month,
                        yaxis="y2",
                    ),
                ],
                charts.layout(
                    "ARPU and churn",
                    yaxis={"title": {"text": f"ARPU ({unit})"}},
                    yaxis2={
                        "title": {"text": "Churn (%)"},
                        "overlaying": "y",
                        "side": "right",
                        "rangemode": "tozero",
                        "tickmode": "auto",
                        "showgrid": False,
                    },
                ),
            )
        )
    last = over_time_table.rows[-1] if over_time_table.rows else None
    before = over_time_table.rows[-2] if len(over_time_table.rows) > 1 else None
    delta, unit_of_change = change(last and last["ltv"], before and before["ltv"], "money")
    return {
        "tables": [over_time_table, ltv_table, monthly_table, customers_table],
        "charts": chart_list,
        "headline": {
            "month": last and last["month"],
            "previous_month": before and before["month"],
            "ltv": last and last["ltv"],
            "previous": before and before["ltv"],
            "change_text": "" if delta is None else f"{delta:+}%",
            "ltv_text": formatting.display_value(last and last["ltv"], "money", currency),
            "previous_text": formatting.display_value(before and before["ltv"], "money", currency),
            "window": window,
        },
        "summary": summary,
        "currency": currency,
        "churn_floor": CHURN_FLOOR,
        "pagination": {
            "table": "customers",
            "page": page,
            "pages": pages,
            "total": total_customers,
            "past_end": page > pages,
            "previous": min(page - 1, pages) if page > 1 else None,
            "next": page + 1 if page < pages else None,
            "last": pages,
        },
    }


PAGE = Page(
    name="ltv",
    title="LTV",
    route="ltv/",
    build=ltv_page,
    form=LtvFilterForm,
    template="reports/ltv.html",
    paginated=True,
    intro="LTV = average ARPU / average churn over full months, net of refunds and disputes, "
    "before Stripe fees. ARPU(m) = net revenue in m / customers paying in m; churn(m) = share "
    "of the customers paying in the month before who do not pay in m.",
)
