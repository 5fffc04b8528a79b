"""Channels, value first: the acquisition funnel (chart and sortable table), then top channels
by OS, duplicate installs and installs over time (top channels plus "other").

Channels show by their label (dim_channel.channel_label, else the code); the CSV carries the
code beside the label.
"""

import datetime as dt

from reports import charts
from reports.forms import ChannelFilterForm
from reports.models import (
    AcquisitionReport,
    InstallDayReport,
    InstallReport,
    MrrMovementReport,
    TransactionReport,
)
from reports.pages.base import Page
from reports.tables import CHANNEL_COLUMNS, Column, Table
from warehouse.calendar import month_range, month_start, reporting_today

OVER_TIME_SERIES = 7  # top channels drawn on their own; the rest is "Other"


def channels_page(*, start: dt.date, end: dt.date, os_name: str, top: int, day: dt.date) -> dict:
    currency = TransactionReport.objects.settlement_currency()
    funnel = AcquisitionReport.objects.channel_funnel(start, end)
    top_channels = InstallDayReport.objects.top_channels_by_os(
        os_name, top, first_day=start, last_day=end
    )
    duplicates = InstallReport.objects.duplicate_installs(day)
    over_time = InstallDayReport.objects.installs_by_channel_os(start, end)
    no_installs = (
        "No installs in these days: choose days from the first install on, or a wider range."
    )

    funnel_rows = sorted(
        (r for r in funnel if r["installs"] or r["paying_customers"]),
        key=lambda r: (-(r["net_revenue_per_paying_customer"] or 0), -r["installs"]),
    )
    funnel_table = Table(
        name="funnel",
        title="Acquisition funnel by channel of the first install",
        currency=currency,
        columns=[
            *CHANNEL_COLUMNS,
            Column.of("installs"),
            Column.of("paying_customers"),
            Column.of("conversion_rate"),
            Column.of("net_revenue"),
            Column.of("revenue_per_install"),
            Column.of("net_revenue_per_paying_customer"),
        ],
        rows=funnel_rows if any(r["installs"] for r in funnel) else [],
        empty_text=no_installs,
        help_text="A user's channel is the channel of their first install; users count when that "
        "install is in the selected days. Installs link to customers by the app's user id. Net "
        "revenue is the customers' net to date. Click a header to sort.",
    )
    top_table = Table(
        name="top_channels",
        title=f"Top {top} channels by {os_name} installs",
        currency=currency,
        columns=[
            *CHANNEL_COLUMNS,
            Column("os_installs", f"{os_name} installs", "int"),
            Column("total_installs", "Total installs", "int"),
        ],
        rows=top_channels if any(r["total_installs"] for r in top_channels) else [],
        empty_text=no_installs,
        help_text="Ranked by installs from the chosen OS, then by total installs; channels "
        "without installs come last.",
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
        empty_text="No user installed more than once on that day; choose another day.",
    )
    over_time_table = Table(
        name="installs_by_channel_os",
        title="Installs by channel and OS per month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            *CHANNEL_COLUMNS,
            Column("os_name", "OS"),
            Column("installs", "Installs", "int"),
        ],
        rows=over_time,
        empty_text=no_installs,
    )

    unit = currency.upper()
    chart_list = []
    current_month = month_start(reporting_today())
    if funnel_table.rows:
        shown = sorted(funnel_table.rows, key=lambda r: -r["installs"])[: charts.MAX_SERIES * 2]
        labels = [r["channel_label"] for r in shown]
        chart_list.append(
            charts.chart(
                "channel-funnel",
                [
                    {
                        "type": "bar",
                        "name": "First installs",
                        "x": labels,
                        "y": [r["installs"] for r in shown],
                    },
                    {
                        "type": "bar",
                        "name": "Paying customers",
                        "x": labels,
                        "y": [r["paying_customers"] for r in shown],
                    },
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "name": f"Net revenue per paying customer ({unit})",
                        "x": labels,
                        "y": [
                            charts.major(r["net_revenue_per_paying_customer"], currency)
                            for r in shown
                        ],
                        "yaxis": "y2",
                        "marker": {"size": 12, "symbol": "diamond"},
                    },
                ],
                charts.layout(
                    "Funnel: installs, payers, value",
                    margin={"r": 64},
                    barmode="group",
                    yaxis=charts.count_axis(
                        [r["installs"] for r in shown], title={"text": "Users"}
                    ),
                    yaxis2={
                        "title": {"text": unit},
                        "overlaying": "y",
                        "side": "right",
                        "rangemode": "tozero",
                        "tickmode": "auto",
                        "showgrid": False,
                    },
                ),
            )
        )
    if top_table.rows:
        labels = [r["channel_label"] for r in top_channels]
        chart_list.append(
            charts.chart(
                "top-channels",
                [
                    {
                        "type": "bar",
                        "name": f"{os_name} installs",
                        "x": labels,
                        "y": [r["os_installs"] for r in top_channels],
                    },
                    {
                        "type": "bar",
                        "name": "Total installs",
                        "x": labels,
                        "y": [r["total_installs"] for r in top_channels],
                    },
                ],
                charts.layout(
                    f"Top channels by {os_name} installs",
                    barmode="group",
                    yaxis=charts.count_axis([r["total_installs"] for r in top_channels]),
                ),
            )
        )
    if over_time:
        months = month_range(start, end)
        totals = {}
        for row in over_time:
            totals[row["channel_label"]] = totals.get(row["channel_label"], 0) + row["installs"]
        ranked = sorted(totals, key=lambda label: (-totals[label], label))
        named = ranked[:OVER_TIME_SERIES] if len(ranked) > OVER_TIME_SERIES + 1 else ranked
        series = {label: dict.fromkeys(months, 0) for label in named}
        if len(named) < len(ranked):
            series["Other"] = dict.fromkeys(months, 0)
        for row in over_time:
            label = row["channel_label"] if row["channel_label"] in named else "Other"
            series[label][row["month"]] += row["installs"]
        chart_list.append(
            charts.chart(
                "installs-over-time",
                [
                    trace
                    for label, counts in series.items()
                    for trace in charts.month_line(
                        label, months, list(counts.values()), current_month
                    )
                ],
                charts.layout(
                    "Installs by channel (dashed: to date)",
                    yaxis=charts.count_axis([v for c in series.values() for v in c.values()]),
                ),
            )
        )
    # each chart just above its table: the funnel leads the page
    placement = {
        "channel-funnel": "funnel",
        "top-channels": "top_channels",
        "installs-over-time": "installs_by_channel_os",
    }
    for chart_spec in chart_list:
        chart_spec["table"] = placement[chart_spec["id"]]
    channel_mrr = MrrMovementReport.objects.by_channel(min(end, reporting_today()))
    channel_mrr_table = Table(
        name="channel_mrr",
        title="MRR by acquisition channel",
        currency=currency,
        columns=[
            Column("channel_name", "Channel"),
            Column("customers_with_mrr", "Customers with MRR", "int"),
            Column.of("mrr"),
            Column.of("arpa"),
        ],
        rows=[
            {**row, "channel_name": row["channel_name"] or "(no attributed install)"}
            for row in channel_mrr
        ],
        help_text="MRR at the end of the last selected day (at most today), under the channel of "
        "each customer's first install ever; ARPA = MRR / customers with MRR.",
    )
    return {
        "tables": [
            funnel_table,
            top_table,
            duplicates_table,
            over_time_table,
            # only for a business with recurring revenue
            *([channel_mrr_table] if channel_mrr_table.rows else []),
        ],
        "charts": chart_list,
        "currency": currency,
    }


PAGE = Page(
    name="channels",
    title="Channels",
    route="channels/",
    build=channels_page,
    form=ChannelFilterForm,
    intro="Which channels bring the most valuable customers: the funnel first. Installs come "
    "from the attribution provider; days are calendar days in the reporting time zone.",
)
