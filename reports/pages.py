"""What each report page shows: manager calls turned into tables and chart specs.

Views call one function here with the form's cleaned data; the functions only read through
the report managers and shape their rows for the templates and the CSV export.
"""

import datetime as dt
from decimal import Decimal

from reports.models import CustomerMonthReport, InstallReport, MrrMovementReport
from reports.tables import Column, Table
from warehouse.calendar import add_months, month_range, month_start, reporting_today
from warehouse.money import currency_exponent, major_units

CUSTOMERS_PER_PAGE = 50
CHURN_FLOOR = Decimal("0.02")


def _major(value, currency):
    return None if value is None else float(major_units(value, currency))


def _pct(value):
    return None if value is None else float(value * 100)


def _month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def overview_page(*, month: dt.date) -> dict:
    currency = CustomerMonthReport.objects.settlement_currency()
    previous, current = CustomerMonthReport.objects.month_summary(month)
    money_fields = ["gross", "refunds", "disputes", "net", "fees"]
    has_data = any(
        row["succeeded_charges"] or row["failed_charges"] or row["net"] or row["fees"]
        for row in (previous, current)
    )
    summary = Table(
        name="summary",
        title="This month against last month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column("gross", "Gross", "money"),
            Column("refunds", "Refunds", "money"),
            Column("disputes", "Disputes", "money"),
            Column("net", "Net revenue", "money"),
            Column("fees", "Stripe fees", "money"),
            Column("paying_customers", "Paying customers", "int"),
            Column("new_customers", "New customers", "int"),
            Column("succeeded_charges", "Succeeded charges", "int"),
            Column("failed_charges", "Failed charges", "int"),
            Column("failed_payment_rate", "Failed-payment rate", "rate"),
        ],
        rows=[previous, current] if has_data else [],
        help_text="Net revenue = succeeded charges − refunds − disputed funds withdrawn + "
        "funds reinstated, at settlement amounts, before Stripe fees (shown separately).",
    )
    chart = {
        "data": [
            {
                "type": "bar",
                "name": _month_label(row["month"]),
                "x": [field.capitalize() for field in money_fields],
                "y": [_major(row[field], currency) for field in money_fields],
            }
            for row in (previous, current)
        ],
        "layout": {"barmode": "group", "title": {"text": f"Money ({currency.upper()})"}},
    }
    return {
        "tables": [summary],
        "charts": [{"id": "overview-money", "spec": chart}] if has_data else [],
        "current": current,
        "previous": previous,
        "currency": currency,
    }


def ltv_page(
    *, start: dt.date, end: dt.date, sort: str, direction: str, page: int, exporting: bool = False
) -> dict:
    manager = CustomerMonthReport.objects
    currency = manager.settlement_currency()
    monthly, summary = manager.monthly_report(start, end, month_start(reporting_today()))
    offset = 0 if exporting else (page - 1) * CUSTOMERS_PER_PAGE
    customers = manager.customer_values(
        start,
        end,
        churn_rate=summary["average_churn"],
        sort=sort,
        descending=direction == "desc",
        limit=None if exporting else CUSTOMERS_PER_PAGE,
        offset=offset,
    )
    total_customers = customers[0]["total_rows"] if customers else 0
    monthly_table = Table(
        name="monthly",
        title="ARPU and churn by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column("net_revenue", "Net revenue", "money"),
            Column("paying_customers", "Paying customers", "int"),
            Column("arpu", "ARPU", "money"),
            Column("previously_paying_customers", "Paying the month before", "int"),
            Column("churned_customers", "Churned", "int"),
            Column("churn_rate", "Churn", "rate"),
        ],
        rows=monthly
        if any(r["paying_customers"] or r["previously_paying_customers"] for r in monthly)
        else [],
        help_text="ARPU(m) = net revenue in m / customers paying in m. Churn(m) = share of the "
        "customers paying in the month before who do not pay in m.",
    )
    ltv_table = Table(
        name="ltv",
        title="LTV and its inputs",
        currency=currency,
        columns=[
            Column("full_months", "Full months", "int"),
            Column("average_arpu", "Average ARPU", "money"),
            Column("arpu_months", "Months with ARPU", "int"),
            Column("average_churn", "Average churn", "rate"),
            Column("churn_months", "Months with churn", "int"),
            Column("ltv", "LTV", "money"),
        ],
        rows=[summary] if summary["arpu_months"] or summary["churn_months"] else [],
        help_text="LTV = average ARPU / average churn over the selected full months (the current "
        "month is not full yet). Without any churn there is no LTV (shown as —).",
    )
    customers_table = Table(
        name="customers",
        title="Customers",
        currency=currency,
        columns=[
            Column("customer_id", "Customer", "customer"),
            Column("email", "Email"),
            Column("first_payment_month", "First payment", "month", sortable=True),
            Column("last_payment_month", "Last payment", "month", sortable=True),
            Column("active_months", "Active months", "int", sortable=True),
            Column("span_months", "Span (months)", "int"),
            Column("total_net", "Total net revenue", "money", sortable=True),
            Column("average_monthly_spend", "Average monthly spend", "money", sortable=True),
            Column("months_since_last_payment", "Months since last payment", "int"),
            Column("predicted_remaining", "Predicted remaining value", "money", sortable=True),
        ],
        rows=customers,
        help_text="Customers paying in the selected months; history up to the last month. Average "
        "monthly spend = total net / months from first to last payment month. Predicted remaining "
        "value = max(average monthly spend, 0) × (1 − c)^(g + 1) / c with c = max(average churn, "
        "2 %) "
        "and g = months since the last payment.",
    )
    arpu_values = [_major(r["arpu"], currency) for r in monthly]
    chart = {
        "data": [
            {
                "type": "bar",
                "name": f"ARPU ({currency.upper()})",
                "x": [_month_label(r["month"]) for r in monthly],
                "y": arpu_values,
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Churn (%)",
                "yaxis": "y2",
                "x": [_month_label(r["month"]) for r in monthly],
                "y": [_pct(r["churn_rate"]) for r in monthly],
            },
        ],
        "layout": {
            "title": {"text": "ARPU and churn"},
            "yaxis": {"title": {"text": f"ARPU ({currency.upper()})"}},
            "yaxis2": {
                "title": {"text": "Churn (%)"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
            },
            "legend": {"orientation": "h"},
            "xaxis": {"type": "category"},
        },
    }
    pages = max(1, -(-total_customers // CUSTOMERS_PER_PAGE))
    return {
        "tables": [ltv_table, monthly_table, customers_table],
        "charts": [{"id": "ltv-arpu-churn", "spec": chart}] if monthly_table.rows else [],
        "summary": summary,
        "currency": currency,
        "churn_floor": CHURN_FLOOR,
        "pagination": {
            "page": page,
            "pages": pages,
            "total": total_customers,
            "previous": page - 1 if page > 1 else None,
            "next": page + 1 if page < pages else None,
        },
    }


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
        rows.append(row)
    columns = [
        Column("cohort_month", "Cohort", "month"),
        Column("cohort_customers", "Customers", "int"),
    ]
    if value_key == "revenue_retention_rate":
        columns.append(Column("month_zero_net_revenue", "Month 0 net revenue", "money"))
    columns += [Column(f"month_{k}", f"+{k}", "rate") for k in range(max_k + 1)]
    return (
        Table(
            name=name,
            title=title,
            columns=columns,
            rows=rows,
            currency=currency,
            help_text=help_text,
        ),
        cohorts,
        max_k,
    )


def cohorts_page(*, start: dt.date, end: dt.date, cohort: dt.date, basis: str) -> dict:
    manager = CustomerMonthReport.objects
    currency = manager.settlement_currency()
    retention = manager.cohort_retention(start, end)
    flow = manager.customer_flow(start, end)
    followed = manager.follow_cohort(cohort, end, basis)

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
            Column("cohort_month", "Cohort", "month"),
            Column("months_since_first_payment", "k", "int"),
            Column("month", "Month", "month"),
            Column("cohort_customers", "Cohort customers", "int"),
            Column("paying_customers", "Paying", "int"),
            Column("retention_rate", "Retention", "rate"),
            Column("net_revenue", "Net revenue", "money"),
            Column("revenue_retention_rate", "Revenue retention", "rate"),
        ],
        rows=retention,
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
            Column("new_customers", "New", "int"),
            Column("retained_customers", "Retained", "int"),
            Column("returning_customers", "Returning", "int"),
            Column("churned_customers", "Churned", "int"),
        ],
        rows=flow if has_flow else [],
        help_text="New: first payment this month. Retained: paid the month before too. Returning: "
        "paid before, but not the month before. Churned: paid the month before, not this month.",
    )
    follow_table = Table(
        name="follow_cohort",
        title=f"Following {_month_label(cohort)}",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column("followed_customers", "Followed customers", "int"),
            Column("paying_customers", "Paying", "int"),
            Column("paying_share", "Share paying", "rate"),
            Column("net_revenue", "Net revenue", "money"),
        ],
        rows=followed if followed and followed[0]["followed_customers"] else [],
    )
    charts = []
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
            charts.append(
                {
                    "id": chart_id,
                    "spec": {
                        "data": [
                            {
                                "type": "heatmap",
                                "x": columns,
                                "y": labels,
                                "z": [
                                    [_pct(row[f"month_{k}"]) for k in range(max_k + 1)]
                                    for row in matrix.rows
                                ],
                                "customdata": details,
                                "hovertemplate": "cohort %{y}, %{x} months: %{z:.2f}% "
                                "(%{customdata} " + detail_label + ")<extra></extra>",
                                "colorscale": "Blues",
                                "reversescale": True,
                                "hoverongaps": False,
                                "colorbar": {"title": {"text": "%"}},
                            }
                        ],
                        "layout": {
                            "title": {"text": matrix.title + " (%)"},
                            "yaxis": {"autorange": "reversed", "type": "category"},
                            "xaxis": {"type": "category"},
                        },
                    },
                }
            )
    if has_flow:
        months = [_month_label(r["month"]) for r in flow]
        charts.append(
            {
                "id": "customer-flow",
                "spec": {
                    "data": [
                        {
                            "type": "bar",
                            "name": "New",
                            "x": months,
                            "y": [r["new_customers"] for r in flow],
                        },
                        {
                            "type": "bar",
                            "name": "Retained",
                            "x": months,
                            "y": [r["retained_customers"] for r in flow],
                        },
                        {
                            "type": "bar",
                            "name": "Returning",
                            "x": months,
                            "y": [r["returning_customers"] for r in flow],
                        },
                        {
                            "type": "bar",
                            "name": "Churned",
                            "x": months,
                            "y": [-r["churned_customers"] for r in flow],
                        },
                    ],
                    "layout": {
                        "barmode": "relative",
                        "xaxis": {"type": "category"},
                        "title": {"text": "Customers by kind (churned below zero)"},
                    },
                },
            }
        )
    if follow_table.rows:
        charts.append(
            {
                "id": "follow-cohort",
                "spec": {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": "Paying",
                            "x": [_month_label(r["month"]) for r in followed],
                            "y": [r["paying_customers"] for r in followed],
                        }
                    ],
                    "layout": {
                        "xaxis": {"type": "category"},
                        "title": {"text": f"Customers of {_month_label(cohort)} paying each month"},
                    },
                },
            }
        )
    return {
        "tables": [customers_matrix, revenue_matrix, flow_table, follow_table, detail],
        "charts": charts,
        "currency": currency,
    }


def channels_page(*, start: dt.date, end: dt.date, os_name: str, top: int, day: dt.date) -> dict:
    manager = InstallReport.objects
    currency = CustomerMonthReport.objects.settlement_currency()
    top_channels = manager.top_channels_by_os(os_name, top, first_day=start, last_day=end)
    duplicates = manager.duplicate_installs(day)
    over_time = manager.installs_by_channel_os(start, end)
    funnel = manager.channel_funnel(start, end)
    channel_mrr = MrrMovementReport.objects.by_channel(min(end, reporting_today()))
    channel_mrr_table = Table(
        name="channel_mrr",
        title="MRR by acquisition channel",
        currency=currency,
        columns=[
            Column("channel_name", "Channel"),
            Column("customers_with_mrr", "Customers with MRR", "int"),
            Column("mrr", "MRR", "money"),
            Column("arpa", "ARPA", "money"),
        ],
        rows=[
            {**row, "channel_name": row["channel_name"] or "(no attributed install)"}
            for row in channel_mrr
        ],
        help_text="MRR at the end of the last selected day (at most today), under the channel of "
        "each customer's first install ever; ARPA = MRR / customers with MRR.",
    )

    top_table = Table(
        name="top_channels",
        title=f"Top {top} channels by {os_name} installs",
        currency=currency,
        columns=[
            Column("channel_name", "Channel"),
            Column("os_installs", f"{os_name} installs", "int"),
            Column("total_installs", "Total installs", "int"),
        ],
        rows=top_channels,
        help_text="Ranked by installs from the chosen OS (any capitalisation), then by total "
        "installs; channels without installs come last.",
    )
    duplicates_table = Table(
        name="duplicate_installs",
        title=f"Users with more than one install on {day.isoformat()}",
        currency=currency,
        columns=[
            Column("user_id", "User"),
            Column("install_count", "Installs", "int"),
            Column("first_installed_at", "First install", "datetime"),
            Column("last_installed_at", "Last install", "datetime"),
        ],
        rows=duplicates,
        empty_text="No user installed more than once on that day.",
    )
    over_time_table = Table(
        name="installs_by_channel_os",
        title="Installs by channel and OS per month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column("channel_name", "Channel"),
            Column("os_name", "OS"),
            Column("installs", "Installs", "int"),
        ],
        rows=over_time,
    )
    funnel_table = Table(
        name="funnel",
        title="Acquisition funnel by channel of the first install",
        currency=currency,
        columns=[
            Column("channel_name", "Channel"),
            Column("installs", "First installs", "int"),
            Column("paying_customers", "Paying customers", "int"),
            Column("conversion_rate", "Conversion", "rate"),
            Column("net_revenue", "Net revenue", "money"),
            Column("revenue_per_install", "Revenue per install", "money"),
            Column("average_ltv_per_paying_customer", "Average LTV per paying customer", "money"),
        ],
        rows=funnel if any(r["installs"] for r in funnel) else [],
        help_text="A user's channel is the channel of their first install; users count when that "
        "install is in the selected days. Installs link to customers by the app's user id. "
        "Net revenue is the customers' net to date; average LTV per paying customer = net revenue "
        "/ paying customers.",
    )
    charts = []
    if any(r["total_installs"] for r in top_channels):
        names = [r["channel_name"] for r in top_channels]
        charts.append(
            {
                "id": "top-channels",
                "spec": {
                    "data": [
                        {
                            "type": "bar",
                            "name": f"{os_name} installs",
                            "x": names,
                            "y": [r["os_installs"] for r in top_channels],
                        },
                        {
                            "type": "bar",
                            "name": "Total installs",
                            "x": names,
                            "y": [r["total_installs"] for r in top_channels],
                        },
                    ],
                    "layout": {
                        "barmode": "group",
                        "title": {"text": f"Top channels by {os_name} installs"},
                    },
                },
            }
        )
    if over_time:
        months = month_range(month_start(start), month_start(end))
        series = {}
        for row in over_time:
            name = f"{row['channel_name']} · {row['os_name']}"
            series.setdefault(name, dict.fromkeys(months, 0))[row["month"]] = row["installs"]
        charts.append(
            {
                "id": "installs-over-time",
                "spec": {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": name,
                            "x": [_month_label(m) for m in months],
                            "y": list(counts.values()),
                        }
                        for name, counts in series.items()
                    ],
                    "layout": {
                        "title": {"text": "Installs by channel and OS"},
                        "xaxis": {"type": "category"},
                    },
                },
            }
        )
    return {
        "tables": [
            top_table,
            duplicates_table,
            over_time_table,
            funnel_table,
            # only for a business with recurring revenue
            *([channel_mrr_table] if channel_mrr_table.rows else []),
        ],
        "charts": charts,
        "currency": currency,
        "exponent": currency_exponent(currency),
    }


# --- recurring revenue -------------------------------------------------------------------

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
    from urllib.parse import urlencode

    query = urlencode(
        {
            "start": _month_label(start),
            "end": _month_label(end),
            "movement_month": _month_label(month),
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
    currency = CustomerMonthReport.objects.settlement_currency()
    today = reporting_today()
    monthly, ltv = manager.monthly_report(start, end, today)
    cash_ltv = CustomerMonthReport.objects.ltv_summary(start, end, month_start(today))
    has_mrr = any(row["mrr"] or row["mrr_start"] or row["net_new_mrr"] for row in monthly)
    for row in monthly:
        for kind, (amount_key, count_key) in MOVEMENT_AMOUNT_KEYS.items():
            if row[count_key]:
                url = _drill_url(row["month"], kind, start, end)
                row[f"{amount_key}__url"] = row[f"{count_key}__url"] = url

    now_rows = manager.monthly_report(
        add_months(month_start(today), -1), month_start(today), today
    )[0]
    last_month_row, this_month_row = now_rows
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
            Column("mrr", "MRR (month end)", "money"),
            Column("arr", "ARR", "money"),
            Column("customers", "Customers with MRR", "int"),
            Column("new_mrr", "New", "money"),
            Column("new_customers", "New (customers)", "int"),
            Column("expansion_mrr", "Expansion", "money"),
            Column("expansion_customers", "Expansion (customers)", "int"),
            Column("reactivation_mrr", "Reactivation", "money"),
            Column("reactivation_customers", "Reactivation (customers)", "int"),
            Column("contraction_mrr", "Contraction", "money"),
            Column("contraction_customers", "Contraction (customers)", "int"),
            Column("churn_mrr", "Churn", "money"),
            Column("churned_customers", "Churn (customers)", "int"),
            Column("net_new_mrr", "Net new MRR", "money"),
            Column("quick_ratio", "Quick Ratio", "ratio"),
            Column("arpa", "ARPA", "money"),
            Column("customer_churn_rate", "Customer churn", "rate"),
            Column("gross_mrr_churn_rate", "Gross MRR churn", "rate"),
            Column("net_mrr_churn_rate", "Net MRR churn", "rate"),
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
            Column("mrr", "MRR", "money"),
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
        label = f"{MOVEMENT_LABELS[movement_type]} movements in {_month_label(movement_month)}"
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
                    Column("mrr_before", "MRR before", "money"),
                    Column("mrr_after", "MRR after", "money"),
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
    unit = currency.upper()
    months = [_month_label(row["month"]) for row in monthly]
    daily = manager.daily_mrr(today - dt.timedelta(days=DAILY_DAYS - 1), today)
    over_time = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "MRR at month end",
                "x": months,
                "y": [_major(row["mrr"], currency) for row in monthly],
            }
        ],
        "layout": {"title": {"text": f"MRR at month end ({unit})"}, "xaxis": {"type": "category"}},
    }
    last_days = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "MRR",
                "x": [row["day"].isoformat() for row in daily],
                "y": [_major(row["mrr"], currency) for row in daily],
            }
        ],
        "layout": {"title": {"text": f"MRR, last {DAILY_DAYS} days ({unit})"}},
    }
    movement_bars = [
        {
            "type": "bar",
            "name": MOVEMENT_LABELS[kind],
            "x": months,
            "y": [_major(row[MOVEMENT_AMOUNT_KEYS[kind][0]], currency) for row in monthly],
        }
        for kind in MOVEMENT_LABELS
    ]
    movements = {
        "data": [
            *movement_bars,
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Net new MRR",
                "x": months,
                "y": [_major(row["net_new_mrr"], currency) for row in monthly],
            },
        ],
        "layout": {
            "title": {"text": f"MRR movements ({unit})"},
            "barmode": "relative",
            "xaxis": {"type": "category"},
            "legend": {"orientation": "h"},
        },
    }
    charts = [
        {"id": "mrr-over-time", "spec": over_time},
        {"id": "mrr-daily", "spec": last_days},
        {"id": "mrr-movements", "spec": movements},
    ]
    cohorts = sorted({row["cohort_month"] for row in cohort_rows})
    if cohorts:
        max_k = max(row["months_since"] for row in cohort_rows)
        cells = {(row["cohort_month"], row["months_since"]): row for row in cohort_rows}
        for key, label in (("net_retention", "Net"), ("gross_retention", "Gross")):
            charts.append(
                {
                    "id": f"mrr-cohorts-{key.split('_')[0]}",
                    "spec": {
                        "data": [
                            {
                                "type": "heatmap",
                                "x": [f"+{k}" for k in range(max_k + 1)],
                                "y": [_month_label(c) for c in cohorts],
                                "z": [
                                    [
                                        _pct(cells[(c, k)][key]) if (c, k) in cells else None
                                        for k in range(max_k + 1)
                                    ]
                                    for c in cohorts
                                ],
                                "colorscale": "Blues",
                                "hoverongaps": False,
                            }
                        ],
                        "layout": {
                            "title": {"text": f"{label} MRR retention by cohort (%)"},
                            "yaxis": {"type": "category", "autorange": "reversed"},
                        },
                    },
                }
            )
    return charts
