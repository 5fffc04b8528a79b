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
# the sort keys that are columns of fact_customer_lifetime (and fact_customer_month's to-date
# columns): customer_values.sql pages them by walking the source in that order
CUSTOMER_VALUE_COLUMN_SORT_KEYS = (
    "first_payment_month",
    "last_payment_month",
    "active_months",
    "total_net",
)
FOLLOW_BASES = ("first_payment", "paid_in_month")
LTV_COLUMNS = ("full_months", "arpu_months", "churn_months", "average_arpu", "average_churn", "ltv")


class ReportManager(models.Manager):
    def _rows(self, query_name: str, params: dict) -> list[dict]:
        return sql_files.fetch_dicts(query_name, params, directory=SQL_DIR, using=self.db)


class MonthReportManager(ReportManager):
    """Reports over fact_month (one row per month): ARPU, churn, LTV, customers by kind."""

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

    def ltv_over_time(
        self,
        first_month: dt.date,
        last_month: dt.date,
        *,
        window_months: int = 6,
        current_month: dt.date | None = None,
    ) -> list[dict]:
        """Per full month m from first_month to last_month (before `current_month`, default
        this month): the LTV over the `window_months` months ending with m, and its inputs."""
        if window_months < 1:
            raise ValueError("window_months must be at least 1")
        return self._rows(
            "ltv_over_time",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "current_month": month_start(current_month or reporting_today()),
                "window_months": window_months,
                "window_preceding": window_months - 1,
            },
        )

    def customer_flow(self, first_month: dt.date, last_month: dt.date) -> list[dict]:
        return self._rows(
            "customer_flow",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )


class CohortMonthReportManager(ReportManager):
    """Reports over fact_cohort_month (one row per cohort and month)."""

    def cohort_retention(self, first_month: dt.date, last_month: dt.date) -> list[dict]:
        return self._rows(
            "cohort_retention",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )


class FollowMonthReportManager(ReportManager):
    """Reports over fact_follow_month (one row per paying month and later month)."""

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


class CustomerLifetimeReportManager(ReportManager):
    """Per-customer values over fact_customer_lifetime (and, for ranges in the past, the
    to-date columns of fact_customer_month)."""

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
        from_end: bool = False,
    ) -> list[dict]:
        """Per-customer values; `churn_rate` is the c of the predicted remaining value.

        `limit` rows after skipping `offset`, counted from the first row of the order, or
        from its last row with `from_end` (the rows still come in the order asked for)."""
        if sort not in CUSTOMER_VALUE_SORT_KEYS:
            raise ValueError(f"unknown sort key {sort!r}")
        rows = self._rows(
            "customer_values",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "churn_rate": churn_rate,
                "sort_key": sort,
                # from the end: the reverse order, key and tie-break both flipped
                "descending": descending != from_end,
                "customer_id_descending": from_end,
                "column_sort_keys": list(CUSTOMER_VALUE_COLUMN_SORT_KEYS),
                "row_limit": limit,
                "row_offset": offset,
            },
        )
        return rows[::-1] if from_end else rows

    def customer_count(self, first_month: dt.date, last_month: dt.date) -> int:
        """How many customers customer_values lists for this range."""
        return self._rows(
            "customer_value_count",
            {"first_month": month_start(first_month), "last_month": month_start(last_month)},
        )[0]["customer_count"]

    def customer_values_page(
        self,
        first_month: dt.date,
        last_month: dt.date,
        *,
        churn_rate: Decimal | None,
        sort: str = "total_net",
        descending: bool = True,
        page: int = 1,
        per_page: int = 50,
    ) -> tuple[list[dict], int]:
        """Page `page` (from 1) of customer_values, and the number of customers.

        The page is read from whichever end of the order is nearer, so the last pages cost
        what the first ones do (an index walk of per_page rows at the default sort) instead
        of skipping every customer before them."""
        total = self.customer_count(first_month, last_month)
        start = (page - 1) * per_page
        end = min(start + per_page, total)
        if start >= total:
            return [], total
        from_end = start > total - end  # nearer the last row than the first
        rows = self.customer_values(
            first_month,
            last_month,
            churn_rate=churn_rate,
            sort=sort,
            descending=descending,
            limit=end - start,
            offset=total - end if from_end else start,
            from_end=from_end,
        )
        return rows, total


class CustomerMonthReportManager(ReportManager):
    """One customer's months over fact_customer_month."""

    def customer_months(self, customer_id: str) -> list[dict]:
        return self._rows("customer_months", {"customer_id": customer_id})


class TransactionReportManager(ReportManager):
    """Reports over fact_transaction: the settlement currency, each month's refunds, disputes
    and fees, one customer's movements."""

    def settlement_currency(self, default: str = "usd") -> str:
        rows = self._rows("settlement_currency", {})
        return rows[0]["settlement_currency"].lower() if rows else default

    def month_movements(
        self, first_month: dt.date, last_month: dt.date, *, through_day: int | None = None
    ) -> list[dict]:
        """Per month: net revenue, paying customers, ARPU, refunds, disputes (opened, won,
        lost, funds withdrawn, funds reinstated), dispute and processing fees, failed
        payments. `through_day` n keeps only each month's days 1..n ("to date")."""
        return self._rows(
            "month_movements",
            {
                "first_month": month_start(first_month),
                "last_month": month_start(last_month),
                "through_day": through_day,
            },
        )

    def customer_transactions(self, customer_id: str, limit: int | None = None) -> list[dict]:
        """Newest first; the newest `limit` (None: all)."""
        return self._rows("customer_transactions", {"customer_id": customer_id, "row_limit": limit})


def like_prefix(text: str) -> str:
    """A LIKE pattern for the values that begin with `text` (its own %, _ and \\ escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


class CustomerReportManager(ReportManager):
    """The manager's customer page and search, over dim_customer and what hangs off it."""

    def search(
        self,
        search: str | None = None,
        *,
        cohort_month: dt.date | None = None,
        month: dt.date | None = None,
        limit: int = 50,
    ) -> list[dict]:
        """Customers whose email, email domain or name begins with `search` (any case) or
        whose user id / Stripe id is `search`, and (with cohort_month and month) the cohort's
        customers paying in that month."""
        return self._rows(
            "customer_search",
            {
                "search": search or None,
                "search_prefix": like_prefix(search) if search else None,
                "cohort_month": cohort_month and month_start(cohort_month),
                "month": month and month_start(month),
                "row_limit": limit,
            },
        )

    def profile(self, customer_id: str) -> dict | None:
        rows = self._rows("customer_profile", {"customer_id": customer_id})
        return rows[0] if rows else None

    def installs(self, customer_id: str) -> list[dict]:
        return self._rows("customer_installs", {"customer_id": customer_id})


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
    """Reports over fact_install (one row per install)."""

    def duplicate_installs(self, day: dt.date | None = None) -> list[dict]:
        """Users with more than one install on `day` (default: yesterday in the reporting
        time zone), most installs first: user_id, install_count, first/last_installed_at."""
        if day is None:
            day = reporting_today() - dt.timedelta(days=1)
        return self._rows(
            "duplicate_installs", {"day": day, "time_zone": reporting_time_zone_name()}
        )


class InstallDayReportManager(ReportManager):
    """Reports over fact_install_day (installs per day, channel and OS)."""

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


class AcquisitionReportManager(ReportManager):
    """The acquisition funnel: fact_channel_funnel_day (first installs, paying customers and
    net per day of the first install, channel and OS), kept from fact_user_acquisition."""

    def channel_funnel(self, first_day: dt.date, last_day: dt.date) -> list[dict]:
        return self._rows(
            "channel_funnel",
            {"first_day": first_day, "last_day": last_day, "time_zone": reporting_time_zone_name()},
        )


class ClientReportManager(ReportManager):
    """Reports over dim_client."""

    def os_names(self) -> list[str]:
        return [row["os_name"] for row in self._rows("os_names", {})]
