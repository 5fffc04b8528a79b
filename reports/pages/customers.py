"""Customers for managers: search by the beginning of an email, domain or name, or by user id
or Stripe id (or a cohort heatmap cell's customers), and one customer's page: identity,
acquisition channel and installs, every payment, refund and dispute, and net revenue by month."""

import datetime as dt

from django.http import Http404

from reports import charts
from reports.charts import month_label
from reports.forms import CustomerSearchForm
from reports.models import CustomerMonthReport, CustomerReport, TransactionReport
from reports.pages.base import Page
from reports.tables import CHANNEL_COLUMNS, Column, Table
from warehouse.calendar import month_range, month_start, reporting_today

SEARCH_LIMIT = 50


def customers_page(*, q: str, cohort: dt.date | None, month: dt.date | None) -> dict:
    currency = TransactionReport.objects.settlement_currency()
    searching = bool(q) or bool(cohort and month)
    rows = (
        CustomerReport.objects.search(q, cohort_month=cohort, month=month, limit=SEARCH_LIMIT)
        if searching
        else []
    )
    if cohort and month:
        title = f"Customers of the {month_label(cohort)} cohort paying in {month_label(month)}"
    elif q:
        title = f"Customers matching “{q}”"
    else:
        title = "Customers"
    table = Table(
        name="customers",
        title=title,
        currency=currency,
        columns=[
            Column("customer_id", "Customer", "customer"),
            Column("email", "Email"),
            Column("name", "Name"),
            Column("user_id", "User id"),
            Column.of("first_payment_month"),
            Column.of("last_payment_month"),
            Column.of("total_net"),
        ],
        rows=rows,
        empty_text="No customer matches: search by the beginning of an email, of its domain or "
        "of a name, or an exact user id or Stripe id (cus_…)."
        if searching
        else "Search by the beginning of an email, of its domain (after the @) or of a name, "
        "or an exact user id or Stripe id (cus_…).",
        help_text=f"At most {SEARCH_LIMIT} customers, most net revenue first.",
    )
    return {"tables": [table], "charts": [], "currency": currency}


TRANSACTION_LABELS = {
    "charge": "Payment",
    "refund": "Refund",
    "dispute_withdrawal": "Dispute: funds withdrawn",
    "dispute_reinstatement": "Dispute: funds reinstated",
}


# The page lists a customer's newest payments, refunds and disputes, and the CSV every one:
# a customer billed for years has thousands, and the page's cost must not grow with them.
TRANSACTIONS_SHOWN = 50


def customer_page(*, customer_id: str, exporting: bool = False) -> dict:
    profile = CustomerReport.objects.profile(customer_id)
    if profile is None:
        raise Http404("No such customer.")
    currency = TransactionReport.objects.settlement_currency()
    installs = CustomerReport.objects.installs(customer_id)
    months = CustomerMonthReport.objects.customer_months(customer_id)
    # one more than shown: whether there are more than the page shows
    transactions = [
        {**row, "kind": TRANSACTION_LABELS.get(row["transaction_type"], row["transaction_type"])}
        for row in TransactionReport.objects.customer_transactions(
            customer_id, limit=None if exporting else TRANSACTIONS_SHOWN + 1
        )
    ]
    more_transactions = len(transactions) > TRANSACTIONS_SHOWN and not exporting
    if more_transactions:
        transactions = transactions[:TRANSACTIONS_SHOWN]
    identity = Table(
        name="identity",
        title="Customer",
        currency=currency,
        columns=[
            Column("customer_id", "Stripe id"),
            Column("email", "Email"),
            Column("name", "Name"),
            Column("user_id", "User id"),
            Column("country", "Country"),
            Column("created", "Created", "datetime"),
            Column("channel_label", "Acquisition channel"),
            Column("channel_name", "Channel code", html=False),
            Column("first_installed_at", "First install", "datetime"),
            Column.of("first_payment_month"),
            Column.of("last_payment_month"),
            Column.of("active_months"),
            Column.of("total_net"),
        ],
        rows=[profile],
    )
    installs_table = Table(
        name="installs",
        title="Installs",
        currency=currency,
        columns=[
            Column("installed_at", "Installed", "datetime"),
            *CHANNEL_COLUMNS,
            Column("os_name", "OS"),
            Column("app_version", "App version"),
            Column("country_code", "Country"),
            Column("install_id", "Install id"),
        ],
        rows=installs,
        empty_text="No install is linked to this customer (no app user id, or no install of it).",
    )
    months_table = Table(
        name="months",
        title="Net revenue by month",
        currency=currency,
        columns=[
            Column("month", "Month", "month"),
            Column.of("gross"),
            Column("refunds", "Refunds", "money"),
            Column("disputes", "Disputes (withdrawn + reinstated)", "money"),
            Column.of("net_revenue", key="net"),
            Column.of("succeeded_charges", key="charge_count"),
            Column.of("failed_charges", key="failed_charge_count"),
            Column("net_to_date", "Net revenue to date", "money"),
        ],
        rows=months,
        empty_text="No payment, refund or dispute yet.",
    )
    transactions_table = Table(
        name="transactions",
        title="Payments, refunds and disputes",
        currency=currency,
        columns=[
            Column("occurred_at", "When", "datetime"),
            Column("kind", "What"),
            Column("transaction_type", "Type code", html=False),
            Column("status", "Status"),
            Column("settled_amount", "Amount (settled)", "money"),
            Column("amount", "Amount charged (minor units)", "int"),
            Column("currency", "Charged in"),
            Column("fee", "Stripe fee", "money"),
            Column("failure_code", "Failure / reason"),
            Column("stripe_id", "Stripe id"),
        ],
        rows=transactions,
        empty_text="No payment, refund or dispute yet.",
        help_text=(
            f"The newest {TRANSACTIONS_SHOWN}; the CSV holds every one."
            if more_transactions
            else ""
        ),
    )
    chart_list = []
    if months:
        all_months = month_range(
            months[0]["month"], max(months[-1]["month"], month_start(reporting_today()))
        )
        net = {row["month"]: row["net"] for row in months}
        chart_list.append(
            charts.chart(
                "customer-months",
                charts.month_bars(
                    f"Net revenue ({currency.upper()})",
                    all_months,
                    [charts.major(net.get(m, 0), currency) for m in all_months],
                    month_start(reporting_today()),
                ),
                charts.layout(f"Net revenue by month ({currency.upper()})", showlegend=False),
                table="months",
            )
        )
    return {
        "tables": [identity, installs_table, months_table, transactions_table],
        "charts": chart_list,
        "currency": currency,
        "profile": profile,
    }


PAGE = Page(
    name="customers",
    title="Customers",
    route="customers/",
    build=customers_page,
    form=CustomerSearchForm,
    intro="Find a customer by email, app user id or Stripe id.",
)
CUSTOMER_PAGE = Page(
    name="customer",
    title="Customer",
    route="customers/<path:customer_id>/",
    build=customer_page,
    nav=False,
    paginated=True,  # the CSV of transactions holds every row, the page the newest
)
