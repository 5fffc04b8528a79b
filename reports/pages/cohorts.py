"""Cohorts: retention by customers and by revenue (heatmaps whose cells open the customers
of that cohort paying that month), customers by kind, and one month's customers followed."""

import datetime as dt

from django.urls import reverse
from django.utils.http import urlencode

from reports import charts
from reports.charts import major as _major
from reports.charts import month_label as _month_label
from reports.charts import pct as _pct
from reports.forms import CohortFilterForm
from reports.models import (
    CohortMonthReport,
    FollowMonthReport,
    MonthReport,
    TransactionReport,
)
from reports.pages.base import Page
from reports.tables import Column, Table
from warehouse.calendar import add_months, month_start, reporting_today


def cell_url(cohort: dt.date, k: int) -> str:
    """The customer list of a heatmap cell: the cohort's customers paying k months later."""
    query = urlencode(
        {"cohort": _month_label(cohort), "month": _month_label(add_months(cohort, k))}
    )
    return f"{reverse('reports:customers')}?{query}"


def _matrix_table(name, title, retention, value_key, help_text, currency):
    cohorts = sorted({row["cohort_month"] for row in retention})
    max_k = max((row["months_since_first_payment"] for row in retention), default=-1)
    cells = {(row["cohort_month"], row["months_since_first_payment"]): row for row in retention}
    rows = []
    for cohort in cohorts:
        first = cells[(cohort, 0)]
        row = {
            "cohort_month": cohort,
            "cohort_customers": first["cohort_customers"],
            "month_zero_net_revenue": first["month_zero_net_revenue"],
        }
        for k in range(max_k + 1):
            cell = cells.get((cohort, k))
            row[f"month_{k}"] = cell[value_key] if cell else None
            if cell:
                row[f"month_{k}_url"] = cell_url(cohort, k)
        rows.append(row)
    columns = [Column.of("cohort_month"), Column.of("cohort_customers")]
    if value_key == "revenue_retention_rate":
        columns.append(Column.of("month_zero_net_revenue"))
    columns += [Column.of(value_key, key=f"month_{k}", label=f"+{k}") for k in range(max_k + 1)]
    return (
        Table(
            name=name,
            title=title,
            columns=columns,
            rows=rows,
            currency=currency,
            help_text=help_text,
            empty_text="No cohort starts in these months: choose months from the first payment on.",
        ),
        cohorts,
        max_k,
    )


def cohorts_page(*, start: dt.date, end: dt.date, cohort: dt.date, basis: str) -> dict:
    currency = TransactionReport.objects.settlement_currency()
    retention = CohortMonthReport.objects.cohort_retention(start, end)
    flow = MonthReport.objects.customer_flow(start, end)
    followed = FollowMonthReport.objects.follow_cohort(cohort, end, basis)

    customers_matrix, cohorts, max_k = _matrix_table(
        "retention_customers",
        "Retention by customers",
        retention,
        "retention_rate",
        "Share of the cohort (customers whose first succeeded charge is in that month) paying "
        "k months later.",
        currency,
    )
    revenue_matrix, _, _ = _matrix_table(
        "retention_revenue",
        "Retention by revenue",
        retention,
        "revenue_retention_rate",
        "The cohort's net revenue k months later / its net revenue in its first month.",
        currency,
    )
    detail = Table(
        name="retention_detail",
        title="Retention cells (counts and revenue)",
        currency=currency,
        columns=[
            Column.of("cohort_month"),
            Column.of("months_since_first_payment"),
            Column("month", "Month", "month"),
            Column.of("cohort_customers"),
            Column.of("paying_customers"),
            Column.of("retention_rate"),
            Column.of("net_revenue"),
            Column.of("revenue_retention_rate"),
        ],
        rows=[
            {
                **row,
                "paying_customers_url": cell_url(
                    row["cohort_month"], row["months_since_first_payment"]
                ),
            }
            for row in retention
        ],
        empty_text="No cohort starts in these months: choose months from the first payment on.",
    )
    has_flow = any(
        r["new_customers"]
        or r["retained_customers"]
        or r["returning_customers"]
        or r["churned_customers"]
        for r in flow
    )
    flow_table = Table(
        name="customer_flow",
        title="New, retained, returning and churned customers",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("new_customers"),
            Column.of("retained_customers"),
            Column.of("returning_customers"),
            Column.of("churned_customers"),
        ],
        rows=flow if has_flow else [],
        empty_text="No paying customers in these months: choose months after the first payment.",
        help_text="New: first payment this month. Retained: paid the month before too. Returning: "
        "paid before, but not the month before. Churned: paid the month before, not this month.",
    )
    follow_table = Table(
        name="follow_cohort",
        title=f"Following {_month_label(cohort)}",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("followed_customers"),
            Column.of("paying_customers"),
            Column.of("paying_share"),
            Column.of("net_revenue"),
        ],
        rows=followed if followed and followed[0]["followed_customers"] else [],
        empty_text=f"Nobody paid in {_month_label(cohort)}: choose another month to follow.",
    )
    chart_list = []
    current_month = month_start(reporting_today())
    if cohorts:
        labels = [_month_label(c) for c in cohorts]
        columns = [f"+{k}" for k in range(max_k + 1)]
        cells = {(r["cohort_month"], r["months_since_first_payment"]): r for r in retention}
        for chart_id, matrix, _value_key, detail_key, detail_label in [
            (
                "cohort-heatmap",
                customers_matrix,
                "retention_rate",
                "paying_customers",
                "paying customers",
            ),
            (
                "cohort-revenue-heatmap",
                revenue_matrix,
                "revenue_retention_rate",
                "net_revenue",
                f"net revenue ({currency.upper()})",
            ),
        ]:
            details = [
                [
                    None
                    if (c, k) not in cells
                    else (
                        cells[(c, k)][detail_key]
                        if detail_key == "paying_customers"
                        else _major(cells[(c, k)][detail_key], currency)
                    )
                    for k in range(max_k + 1)
                ]
                for c in cohorts
            ]
            links = [[cell_url(c, k) for k in range(max_k + 1)] for c in cohorts]
            chart_list.append(
                {
                    "id": chart_id,
                    "table": "",
                    "spec": {
                        "links": links,
                        "data": [
                            {
                                "type": "heatmap",
                                "x": columns,
                                "y": labels,
                                "z": [
                                    [_pct(row[f"month_{k}"]) for k in range(max_k + 1)]
                                    for row in matrix.rows
                                ],
                                # each cell labelled with its value; empty cells stay blank
                                "text": [
                                    [
                                        charts.heatmap_cell_text(
                                            _pct(row[f"month_{k}"]),
                                            add_months(row["cohort_month"], k),
                                            current_month,
                                        )
                                        for k in range(max_k + 1)
                                    ]
                                    for row in matrix.rows
                                ],
                                "customdata": details,
                                "hovertemplate": "cohort %{y}, %{x} months: %{z:.2f}% "
                                "(%{customdata} " + detail_label + ")<extra></extra>",
                                "colorscale": "Blues",
                                "reversescale": True,
                                "hoverongaps": False,
                                "texttemplate": "%{text}",
                                "xgap": 1,
                                "ygap": 1,
                                "colorbar": {"title": {"text": "%"}},
                            }
                        ],
                        "layout": {
                            "title": {"text": matrix.title + " (%): click a cell"},
                            "yaxis": {"autorange": "reversed", "type": "category"},
                            "xaxis": {"type": "category"},
                        },
                    },
                }
            )
    if has_flow:
        months = [r["month"] for r in flow]
        chart_list.append(
            charts.chart(
                "customer-flow",
                [
                    trace
                    for label, key, sign in [
                        ("New", "new_customers", 1),
                        ("Retained", "retained_customers", 1),
                        ("Returning", "returning_customers", 1),
                        ("Churned", "churned_customers", -1),
                    ]
                    for trace in charts.month_bars(
                        label, months, [sign * r[key] for r in flow], current_month
                    )
                ],
                charts.layout(
                    "Customers by kind (churned below 0)",
                    barmode="relative",
                    yaxis=charts.count_axis(
                        [
                            r["new_customers"] + r["retained_customers"] + r["returning_customers"]
                            for r in flow
                        ]
                        + [r["churned_customers"] for r in flow],
                        rangemode="normal",
                    ),
                ),
            )
        )
    if follow_table.rows:
        chart_list.append(
            charts.chart(
                "follow-cohort",
                charts.month_line(
                    "Paying",
                    [r["month"] for r in followed],
                    [r["paying_customers"] for r in followed],
                    current_month,
                ),
                charts.layout(
                    f"Customers of {_month_label(cohort)} paying each month",
                    showlegend=False,
                    yaxis=charts.count_axis([r["paying_customers"] for r in followed]),
                ),
            )
        )
    return {
        "tables": [customers_matrix, revenue_matrix, flow_table, follow_table, detail],
        "charts": chart_list,
        "currency": currency,
    }


PAGE = Page(
    name="cohorts",
    title="Cohorts",
    route="cohorts/",
    build=cohorts_page,
    form=CohortFilterForm,
    intro="A customer's cohort is the month of their first succeeded charge. Retention(cohort, "
    "k) = share of the cohort paying in cohort month + k; revenue retention(cohort, k) = the "
    "cohort's net revenue in month + k / its net revenue in month 0. Click a heatmap cell for "
    "its customers.",
)
