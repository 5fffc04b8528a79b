"""Recurring revenue (MRR): MRR and ARR now, MRR over time and its movements (new, expansion,
reactivation, contraction, churn) with Quick Ratio, ARPA and churn rates; the MRR-based LTV
beside the cash LTV; MRR by plan; net and gross MRR cohorts; and a month x movement cell's
movements (the drill-down). Definitions: docs/metrics.md, "Recurring revenue"."""

import datetime as dt
from urllib.parse import urlencode

from reports import charts
from reports.forms import MrrFilterForm
from reports.models import MonthReport, MrrMovementReport, TransactionReport
from reports.pages.base import Page
from reports.tables import Column, Table
from warehouse.calendar import add_months, month_start, reporting_today

MOVEMENT_LABELS = {
    "new": "New",
    "expansion": "Expansion",
    "reactivation": "Reactivation",
    "contraction": "Contraction",
    "churn": "Churn",
}
MOVEMENT_AMOUNT_KEYS = {
    "new": ("new_mrr", "new_customers"),
    "expansion": ("expansion_mrr", "expansion_customers"),
    "reactivation": ("reactivation_mrr", "reactivation_customers"),
    "contraction": ("contraction_mrr", "contraction_customers"),
    "churn": ("churn_mrr", "churned_customers"),
}
DAILY_DAYS = 90
DRILL_DOWN_ROWS = 500


def _drill_url(month: dt.date, movement_type: str, start: dt.date, end: dt.date) -> str:
    query = urlencode(
        {
            "start": charts.month_label(start),
            "end": charts.month_label(end),
            "movement_month": charts.month_label(month),
            "movement_type": movement_type,
        }
    )
    return f"?{query}#table-movements"


def mrr_page(
    *,
    start: dt.date,
    end: dt.date,
    movement_month: dt.date | None = None,
    movement_type: str = "",
    exporting: bool = False,
) -> dict:
    manager = MrrMovementReport.objects
    currency = TransactionReport.objects.settlement_currency()
    today = reporting_today()
    monthly, ltv = manager.monthly_report(start, end, today)
    cash_ltv = MonthReport.objects.ltv_summary(start, end, month_start(today))
    has_mrr = any(row["mrr"] or row["mrr_start"] or row["net_new_mrr"] for row in monthly)
    for row in monthly:
        for kind, (amount_key, count_key) in MOVEMENT_AMOUNT_KEYS.items():
            if row[count_key]:
                url = _drill_url(row["month"], kind, start, end)
                row[f"{amount_key}_url"] = row[f"{count_key}_url"] = url

    # MRR at a month's end does not depend on the range: the range's rows serve the
    # headline when they hold last month and this month (the default range does)
    by_month = {row["month"]: row for row in monthly}
    last_month, this_month = add_months(month_start(today), -1), month_start(today)
    if last_month in by_month and this_month in by_month:
        last_month_row, this_month_row = by_month[last_month], by_month[this_month]
    else:
        last_month_row, this_month_row = manager.monthly_report(last_month, this_month, today)[0]
    headline = Table(
        name="now",
        title="MRR and ARR now",
        currency=currency,
        columns=[
            Column("measure", "Measure"),
            Column("now", "Now", "money"),
            Column("last_month_end", "End of last month", "money"),
            Column("change", "Change", "money"),
        ],
        rows=[
            {
                "measure": measure,
                "now": factor * this_month_row["mrr"],
                "last_month_end": factor * last_month_row["mrr"],
                "change": factor * (this_month_row["mrr"] - last_month_row["mrr"]),
            }
            for measure, factor in (("MRR", 1), ("ARR", 12))
        ]
        if this_month_row["mrr"] or last_month_row["mrr"]
        else [],
        help_text="MRR today (movements up to today) against MRR at the end of last month; "
        "ARR = 12 × MRR.",
        empty_text="No recurring revenue yet.",
    )
    monthly_table = Table(
        name="monthly",
        title="MRR movements by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("mrr", label="MRR (month end)"),
            Column.of("arr"),
            Column.of("customers_with_mrr", key="customers"),
            Column.of("new_mrr"),
            Column.of("mrr_new_customers", key="new_customers"),
            Column.of("expansion_mrr"),
            Column.of("expansion_customers"),
            Column.of("reactivation_mrr"),
            Column.of("reactivation_customers"),
            Column.of("contraction_mrr"),
            Column.of("contraction_customers"),
            Column.of("churn_mrr"),
            Column.of("mrr_churned_customers", key="churned_customers"),
            Column.of("net_new_mrr"),
            Column.of("quick_ratio"),
            Column.of("arpa"),
            Column.of("customer_churn_rate"),
            Column.of("gross_mrr_churn_rate"),
            Column.of("net_mrr_churn_rate"),
        ],
        rows=monthly if has_mrr else [],
        help_text="Net new MRR = new + expansion + reactivation − contraction − churn. Quick Ratio "
        "= (new + expansion + reactivation) / (contraction + churn). ARPA = MRR / customers with "
        "MRR. Customer churn = churned customers / customers with MRR at the month's start; gross "
        "MRR churn = (contraction + churn) / MRR at the start; net MRR churn also subtracts "
        "expansion and reactivation. Click an amount to list its movements.",
        empty_text="No recurring revenue in these months.",
    )
    ltv_table = Table(
        name="ltv",
        title="MRR-based LTV beside the cash LTV",
        currency=currency,
        columns=[
            Column("basis", "Basis"),
            Column("full_months", "Full months", "int"),
            Column("average_value", "Average ARPA / ARPU", "money"),
            Column("average_churn", "Average churn", "rate"),
            Column("ltv", "LTV", "money"),
        ],
        rows=[
            {
                "basis": "MRR (ARPA / customer churn)",
                "full_months": ltv["full_months"],
                "average_value": ltv["average_arpa"],
                "average_churn": ltv["average_churn"],
                "ltv": ltv["ltv"],
            },
            {
                "basis": "Cash (ARPU / paying-customer churn)",
                "full_months": cash_ltv["full_months"],
                "average_value": cash_ltv["average_arpu"],
                "average_churn": cash_ltv["average_churn"],
                "ltv": cash_ltv["ltv"],
            },
        ]
        if has_mrr
        else [],
        help_text="Both average over the selected full months. The cash LTV counts what customers "
        "paid (refunds, disputes, one-off charges; an annual plan in the month it is paid); the "
        "MRR-based LTV what their subscriptions are worth per month while they last.",
    )
    plans = manager.by_plan(today)
    plan_table = Table(
        name="plans",
        title="MRR by plan today",
        currency=currency,
        columns=[
            Column("plan", "Plan"),
            Column("product", "Product"),
            Column("interval", "Interval"),
            Column("interval_count", "Every", "int"),
            Column("price_currency", "Price currency"),
            Column("subscriptions", "Subscriptions", "int"),
            Column.of("mrr"),
        ],
        rows=plans,
        empty_text="No plan has MRR today.",
    )
    cohort_rows = manager.cohorts(start, end)
    cohort_tables = [
        _mrr_cohort_table(name, title, cohort_rows, key, currency)
        for name, title, key in (
            ("cohorts_net", "Net MRR retention by cohort", "net_retention"),
            ("cohorts_gross", "Gross MRR retention by cohort", "gross_retention"),
        )
    ]
    tables = [headline, monthly_table, ltv_table, plan_table, *cohort_tables]
    if movement_month and movement_type:
        movements = manager.movements(
            movement_month, movement_type, today=today, limit=None if exporting else DRILL_DOWN_ROWS
        )
        label = (
            f"{MOVEMENT_LABELS[movement_type]} movements in {charts.month_label(movement_month)}"
        )
        tables.append(
            Table(
                name="movements",
                title=label,
                currency=currency,
                columns=[
                    Column("date", "Date", "date"),
                    Column("customer_id", "Customer", "customer"),
                    Column("email", "Email"),
                    Column("plan", "Plan"),
                    Column.of("mrr_before"),
                    Column.of("mrr_after"),
                    Column("amount", "Change", "money"),
                ],
                rows=movements,
                help_text=f"Largest changes first; the page lists at most {DRILL_DOWN_ROWS}, the "
                "CSV all of them. The plan is the one whose MRR changed most that day.",
                empty_text="No such movements.",
            )
        )
    return {
        "tables": tables,
        "charts": _mrr_charts(monthly, manager, today, currency, cohort_rows) if has_mrr else [],
        "currency": currency,
    }


def _mrr_cohort_table(name, title, rows, key, currency) -> Table:
    cohorts = sorted({row["cohort_month"] for row in rows})
    max_k = max((row["months_since"] for row in rows), default=-1)
    cells = {(row["cohort_month"], row["months_since"]): row for row in rows}
    table_rows = []
    for cohort in cohorts:
        row = {"cohort_month": cohort, "cohort_mrr": cells[(cohort, 0)]["mrr"]}
        for k in range(max_k + 1):
            cell = cells.get((cohort, k))
            row[f"month_{k}"] = cell[key] if cell else None
        table_rows.append(row)
    return Table(
        name=name,
        title=title,
        currency=currency,
        columns=[
            Column("cohort_month", "Cohort", "month"),
            Column("cohort_mrr", "Cohort MRR", "money"),
            *(Column(f"month_{k}", f"+{k}", "rate") for k in range(max_k + 1)),
        ],
        rows=table_rows,
        help_text="Cohort: the month of a customer's first MRR. Net retention = the cohort's MRR "
        "k months later / its MRR at the end of its first month; gross retention caps each "
        "customer at their first-month MRR (expansion does not count).",
        empty_text="No cohorts in these months.",
    )


def _mrr_charts(monthly, manager, today, currency, cohort_rows) -> list[dict]:
    """The movements (what moved MRR) first, then MRR over time, above the monthly table;
    each cohort heatmap above its table. The current month is partial: hatched bars, dashed
    lines, heatmap cells marked * (reports.charts)."""
    unit = currency.upper()
    current_month = month_start(today)
    months = [row["month"] for row in monthly]
    daily = manager.daily_mrr(today - dt.timedelta(days=DAILY_DAYS - 1), today)
    movements = charts.chart(
        "mrr-movements",
        [
            *(
                trace
                for kind in MOVEMENT_LABELS
                for trace in charts.month_bars(
                    MOVEMENT_LABELS[kind],
                    months,
                    [charts.major(row[MOVEMENT_AMOUNT_KEYS[kind][0]], currency) for row in monthly],
                    current_month,
                )
            ),
            *charts.month_line(
                "Net new MRR",
                months,
                [charts.major(row["net_new_mrr"], currency) for row in monthly],
                current_month,
            ),
        ],
        charts.layout(
            f"What moved MRR ({unit})",
            barmode="relative",
            yaxis={"title": {"text": unit}},
        ),
        table="monthly",
    )
    over_time = charts.chart(
        "mrr-over-time",
        charts.month_line(
            "MRR at month end",
            months,
            [charts.major(row["mrr"], currency) for row in monthly],
            current_month,
        ),
        charts.layout(
            f"MRR at month end ({unit}; this month: today)",
            showlegend=False,
            yaxis={"title": {"text": unit}, "rangemode": "tozero"},
        ),
        table="monthly",
    )
    last_days = charts.chart(
        "mrr-daily",
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "MRR",
                "x": [row["day"].isoformat() for row in daily],
                "y": [charts.major(row["mrr"], currency) for row in daily],
            }
        ],
        {
            "title": {"text": f"MRR, last {DAILY_DAYS} days ({unit})"},
            "showlegend": False,
            "yaxis": {"title": {"text": unit}},
        },
        table="monthly",
    )
    chart_list = [movements, over_time, last_days]
    cohorts = sorted({row["cohort_month"] for row in cohort_rows})
    if cohorts:
        max_k = max(row["months_since"] for row in cohort_rows)
        cells = {(row["cohort_month"], row["months_since"]): row for row in cohort_rows}
        for key, label, table in (
            ("net_retention", "Net", "cohorts_net"),
            ("gross_retention", "Gross", "cohorts_gross"),
        ):
            values = [
                [
                    charts.pct(cells[(c, k)][key]) if (c, k) in cells else None
                    for k in range(max_k + 1)
                ]
                for c in cohorts
            ]
            chart_list.append(
                charts.chart(
                    f"mrr-cohorts-{key.split('_')[0]}",
                    [
                        {
                            "type": "heatmap",
                            "x": [f"+{k}" for k in range(max_k + 1)],
                            "y": [charts.month_label(c) for c in cohorts],
                            "z": values,
                            # each cell labelled with its value, the current month's with *
                            "text": [
                                [
                                    charts.heatmap_cell_text(value, add_months(c, k), current_month)
                                    for k, value in enumerate(row)
                                ]
                                for c, row in zip(cohorts, values, strict=True)
                            ],
                            "texttemplate": "%{text}",
                            "hovertemplate": "cohort %{y}, %{x} months: %{z:.2f}%<extra></extra>",
                            # dark = high retention, as on the cohorts page
                            "colorscale": "Blues",
                            "reversescale": True,
                            "hoverongaps": False,
                            "xgap": 1,
                            "ygap": 1,
                            "colorbar": {"title": {"text": "%"}},
                        }
                    ],
                    charts.layout(
                        f"{label} MRR retention by cohort (%)",
                        yaxis={"type": "category", "autorange": "reversed"},
                    ),
                    table=table,
                )
            )
    return chart_list


PAGE = Page(
    name="mrr",
    title="MRR",
    route="mrr/",
    build=mrr_page,
    form=MrrFilterForm,
    paginated=True,
    intro="MRR is each subscription's price × quantity per month after discounts, excluding "
    "tax, from Stripe's invoice lines, in the settlement currency; trials, metered and one-off "
    "prices count 0. Movements are netted per customer per day. Definitions: docs/metrics.md, "
    '"Recurring revenue".',
)
