"""Report queries: each method runs one `.sql` file of reports/sql with bound parameters.

These managers are the only way the report views reach SQL. Results are lists of dicts
(one per row, keys = the query's column names). Money stays in integer minor units of the
settlement currency; rates and averages are `Decimal`s with the scale the query rounds to.
Months are `datetime.date`s on the first day of a calendar month in the reporting time zone.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import models

from warehouse import sql_files
from warehouse.calendar import month_start, reporting_time_zone_name, reporting_today

SQL_DIR = Path(__file__).resolve().parent / "sql"

CUSTOMER_VALUE_SORT_KEYS = (
    "customer",
    "first_payment_month",
    "last_payment_month",
    "active_months",
    "total_net",
    "average_monthly_spend",
    "predicted_remaining",
)
FOLLOW_BASES = ("first_payment", "paid_in_month")
LTV_COLUMNS = ("full_months", "arpu_months", "churn_months", "average_arpu", "average_churn", "ltv")


class ReportManager(models.Manager):
    def _rows(self, query_name: str, params: dict) -> list[dict]:
        return sql_files.fetch_dicts(query_name, params, directory=SQL_DIR, using=self.db)


class PaymentReportManager(ReportManager):
    """Payments reports over fact_customer_month (and fact_transaction for the currency)."""

    def settlement_currency(self, default: str = "usd") -> str:
        rows = self._rows("settlement_currency", {})
        return rows[0]["settlement_currency"].lower() if rows else default

    def month_summary(self, month: dt.date | None = None) -> list[dict]:
        """The month before `month` and `month` (default: this month), oldest first."""
        month = month_start(month or reporting_today())
        return self._rows("month_summary", {"month": month})

    def monthly_report(
        self, first_month: dt.date, last_month: dt.date, current_month: dt.date | None = None
    ) -> tuple[list[dict], dict]:
        """Monthly ARPU and churn rows, and the LTV summary over the range's full months
        (months before `current_month`, default this month), from one query."""
        rows = self._rows(
            "monthly_metrics",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "current_month": month_start(current_month or reporting_today()),
            },
        )
        summary = {key: rows[0][key] for key in LTV_COLUMNS}
        return [{k: v for k, v in row.items() if k not in LTV_COLUMNS} for row in rows], summary

    def monthly_metrics(
        self, first_month: dt.date, last_month: dt.date, current_month: dt.date | None = None
    ) -> list[dict]:
        """Per month: net_revenue, paying_customers, arpu, previously_paying_customers,
        churned_customers, churn_rate."""
        return self.monthly_report(first_month, last_month, current_month)[0]

    def ltv_summary(
        self, first_month: dt.date, last_month: dt.date, current_month: dt.date | None = None
    ) -> dict:
        """full_months, arpu_months, churn_months, average_arpu, average_churn, ltv."""
        return self.monthly_report(first_month, last_month, current_month)[1]

    def customer_values(
        self,
        first_month: dt.date,
        last_month: dt.date,
        *,
        churn_rate: Decimal | None,
        sort: str = "total_net",
        descending: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Per-customer values; `churn_rate` is the c of the predicted remaining value."""
        if sort not in CUSTOMER_VALUE_SORT_KEYS:
            raise ValueError(f"unknown sort key {sort!r}")
        return self._rows(
            "customer_values",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "churn_rate": churn_rate,
                "sort_key": sort,
                "descending": descending,
                "row_limit": limit,
                "row_offset": offset,
            },
        )

    def cohort_retention(self, first_month: dt.date, last_month: dt.date) -> list[dict]:
        return self._rows(
            "cohort_retention",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )

    def customer_flow(self, first_month: dt.date, last_month: dt.date) -> list[dict]:
        return self._rows(
            "customer_flow",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )

    def follow_cohort(
        self, cohort_month: dt.date, last_month: dt.date, basis: str = "first_payment"
    ) -> list[dict]:
        """Customers of `cohort_month` paying in each month up to `last_month`.

        basis "first_payment": customers whose first succeeded charge is in cohort_month;
        basis "paid_in_month": every customer paying in cohort_month.
        """
        if basis not in FOLLOW_BASES:
            raise ValueError(f"unknown basis {basis!r}")
        return self._rows(
            "follow_cohort",
            {
                "cohort_month": month_start(cohort_month),
                "last_month": month_start(last_month),
                "paid_in_month": basis == "paid_in_month",
            },
        )


MOVEMENT_TYPES = ("new", "expansion", "reactivation", "contraction", "churn")
MRR_LTV_COLUMNS = (
    "full_months",
    "arpa_months",
    "churn_months",
    "average_arpa",
    "average_churn",
    "ltv",
)


class MrrReportManager(ReportManager):
    """Recurring-revenue reports over fact_mrr_movement, fact_mrr_change and the MRR marts.
    Movements dated after today (scheduled cancellations, grace deadlines) stay out."""

    def monthly_report(
        self, first_month: dt.date, last_month: dt.date, today: dt.date | None = None
    ) -> tuple[list[dict], dict]:
        """Per month: MRR, ARR, movements (amount and customers per type), net new MRR,
        Quick Ratio, ARPA, churn rates; and the MRR-based LTV over the range's full months."""
        today = today or reporting_today()
        rows = self._rows(
            "mrr_monthly",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "current_month": month_start(today),
                "today": today,
            },
        )
        summary = {key: rows[0][key] for key in MRR_LTV_COLUMNS}
        return [{k: v for k, v in row.items() if k not in MRR_LTV_COLUMNS} for row in rows], summary

    def daily_mrr(self, first_day: dt.date, last_day: dt.date) -> list[dict]:
        return self._rows("mrr_daily", {"first_day": first_day, "last_day": last_day})

    def movements(
        self, month: dt.date, movement_type: str, *, today: dt.date | None = None, limit=None
    ) -> list[dict]:
        if movement_type not in MOVEMENT_TYPES:
            raise ValueError(f"unknown movement type {movement_type!r}")
        return self._rows(
            "mrr_movements",
            {
                "month": month_start(month),
                "movement_type": movement_type,
                "today": today or reporting_today(),
                "row_limit": limit,
            },
        )

    def by_plan(self, day: dt.date | None = None) -> list[dict]:
        return self._rows("mrr_by_plan", {"day": day or reporting_today()})

    def by_channel(self, day: dt.date | None = None) -> list[dict]:
        """MRR per acquisition channel (channel of the user's first install) at a day's end."""
        return self._rows("mrr_by_channel", {"day": day or reporting_today()})

    def cohorts(self, first_month: dt.date, last_month: dt.date) -> list[dict]:
        return self._rows(
            "mrr_cohorts",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )


class InstallReportManager(ReportManager):
    """Install and channel reports over fact_install."""

    def duplicate_installs(self, day: dt.date | None = None) -> list[dict]:
        """Users with more than one install on `day` (default: yesterday in the reporting
        time zone), most installs first: user_id, install_count, first/last_installed_at."""
        if day is None:
            day = reporting_today() - dt.timedelta(days=1)
        return self._rows(
            "duplicate_installs", {"day": day, "time_zone": reporting_time_zone_name()}
        )

    def top_channels_by_os(
        self,
        os_name: str = "Android",
        limit: int = 5,
        *,
        first_day: dt.date | None = None,
        last_day: dt.date | None = None,
    ) -> list[dict]:
        """Channels by installs from `os_name`, then by total installs (ties by name), top
        `limit`; channels without installs come last. Optional day range (reporting tz)."""
        return self._rows(
            "top_channels_by_os",
            {
                "os_name": os_name,
                "row_limit": limit,
                "first_day": first_day,
                "last_day": last_day,
                "time_zone": reporting_time_zone_name(),
            },
        )

    def installs_by_channel_os(self, first_day: dt.date, last_day: dt.date) -> list[dict]:
        return self._rows(
            "installs_by_channel_os",
            {"first_day": first_day, "last_day": last_day, "time_zone": reporting_time_zone_name()},
        )

    def channel_funnel(self, first_day: dt.date, last_day: dt.date) -> list[dict]:
        return self._rows(
            "channel_funnel",
            {"first_day": first_day, "last_day": last_day, "time_zone": reporting_time_zone_name()},
        )
