"""rebuild_warehouse: recompute the payments tables from dj-stripe's tables, set-based."""

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.db import connection, transaction

from warehouse.calendar import reporting_day
from warehouse.models import FactCustomerMonth
from warehouse.services._payments_scope import scope
from warehouse.services.change_set import CUSTOMER_FACTS
from warehouse.services.dim_date import ensure_dim_dates
from warehouse.services.marts import refresh_marts
from warehouse.services.payments import dimension_scope, fact_scope
from warehouse.services.subscriptions import rebuild_subscriptions
from warehouse.sql_files import WAREHOUSE_SQL_DIR, execute, fetch, fetch_one

# Charges and refunds are upserted in this many slices of creation time, to show progress.
PROGRESS_SLICES = 10
# The statements named in the progress line of where the time went, slowest first.
TIMED_STATEMENTS_SHOWN = 12


@dataclass
class RebuildSummary:
    rows_written: dict[str, int] = field(default_factory=dict)
    customer_months: int = 0

    def __str__(self) -> str:
        written = ", ".join(f"{name} {count}" for name, count in self.rows_written.items())
        return f"rows written: {written}; fact_customer_month now {self.customer_months} rows"


@transaction.atomic
def rebuild_warehouse(
    since: dt.datetime | None = None, progress: Callable[[str], None] = lambda message: None
) -> RebuildSummary:
    """Recompute dim_customer, dim_payment_method, fact_transaction (and the dim_date days
    they need) from the staging views over dj-stripe's tables, then the payments marts in
    their full form (refresh_marts), then the catalogue, invoice lines, MRR movements and MRR
    marts. Idempotent.

    `since` limits the work to objects dj-stripe synced (dimensions) or money that moved
    (facts) at or after that moment; customer payment times and months are recomputed
    for everyone, as they aggregate over all time. Foreign keys are deferred to the commit,
    so the order of the steps is free. Before the commit, `progress` gets one line of where
    the time went: the seconds of each `.sql` file, slowest first.
    """
    timer = _StatementTimer()
    with connection.execute_wrapper(timer):
        summary = _rebuild(since, progress)
    # where the time went, before the commit's foreign key checks
    progress(f"time by statement: {timer}")
    progress("committing (the database checks every foreign key now)…")
    return summary


def _rebuild(since: dt.datetime | None, progress: Callable[[str], None]) -> RebuildSummary:
    summary = RebuildSummary()
    everything = scope(None, since)

    def step(label: str, statement: str, params: dict) -> None:
        progress(f"{label}…")
        summary.rows_written[label] = execute(statement, params)
        progress(f"{label}: {summary.rows_written[label]} rows written")

    # jit off, work_mem, the ANALYZE's sample: for this transaction only (rebuild_settings.sql)
    execute("rebuild_settings")
    # Before the upserts, not after: they write only movements whose source dj-stripe holds,
    # so the delete finds the same rows either way, but first it reads only the rows the
    # warehouse held before (none from an empty warehouse) instead of every row just written.
    step("movements without a source", "fact_transactions_prune", everything)
    _facts_in_slices(summary, progress, since)
    _ensure_days_of_facts(since)
    step("planner statistics", "rebuild_analyze_payments", {})
    progress("payment methods…")
    written = fetch_one("facts/dim_payment_method", {**dimension_scope(since), "all_rows": True})
    summary.rows_written["payment methods"] = written["payment_methods_written"]
    summary.rows_written["payment method placeholders"] = written["placeholders_written"]
    progress("customers…")
    written = fetch_one("facts/dim_customer", {**dimension_scope(since), "all_rows": True})
    summary.rows_written["customers"] = written["customers_written"]
    summary.rows_written["customer placeholders"] = written["placeholders_written"]
    summary.rows_written["customer payment times"] = written["payment_times_written"]
    progress(f"customers: {written['customers_written']} rows written")
    progress("marts…")
    # the payments marts in full; the install marts are not rebuilt from dj-stripe's tables
    refresh_marts({CUSTOMER_FACTS: None})
    summary.customer_months = FactCustomerMonth.objects.count()
    progress(f"customer months: {summary.customer_months} rows")
    progress("subscriptions, invoice lines, MRR movements and marts…")
    for label, count in rebuild_subscriptions().items():
        summary.rows_written[label] = count
    progress("subscriptions: done")
    return summary


class _StatementTimer:
    """Django's execute wrapper that adds up the time of each `.sql` file the rebuild runs
    (named by its "-- purpose:" header line; "other" for the rest)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            name = _statement_names().get(_purpose_line(sql), "other")
            self.seconds[name] += time.perf_counter() - started
            self.calls[name] += 1

    def __str__(self) -> str:
        return ", ".join(
            f"{name}{f' ({self.calls[name]}x)' if self.calls[name] > 1 else ''} {seconds:.1f} s"
            for name, seconds in self.seconds.most_common(TIMED_STATEMENTS_SHOWN)
        )


def _purpose_line(sql: str) -> str:
    start = sql.find("-- purpose:")
    return sql[start : sql.find("\n", start)] if start >= 0 else ""


@cache
def _statement_names() -> dict[str, str]:
    """The "-- purpose:" line of each warehouse `.sql` file -> its name (facts/dim_customer)."""
    return {
        _purpose_line(path.read_text()): str(path.relative_to(WAREHOUSE_SQL_DIR).with_suffix(""))
        for path in sorted(WAREHOUSE_SQL_DIR.rglob("*.sql"))
    }


def _facts_in_slices(summary, progress, since) -> None:
    """Upsert fact_transaction in slices of equal charge counts by creation time: set-based,
    with progress. Refunds and disputes fall in the slice of their own time."""
    total, boundaries = _slice_boundaries("djstripe_charge_creation_slices", since)
    written = {"charges": 0, "refunds": 0, "disputes": 0}
    progress(f"movements: about {total} charges to rebuild")
    windows = list(zip([since, *boundaries], [*boundaries, None], strict=True))
    for number, (start, end) in enumerate(windows, start=1):
        counts = fetch_one("facts/fact_transaction", {**fact_scope(start, end), "all_rows": True})
        for label in written:
            written[label] += counts[label]
        progress(
            f"movements: slice {number}/{len(windows)} done, "
            + ", ".join(f"{label} {count}" for label, count in written.items())
            + " rows written"
        )
    summary.rows_written.update(written)


def _slice_boundaries(slices_query: str, since) -> tuple[int, list[dt.datetime]]:
    fractions = [n / PROGRESS_SLICES for n in range(1, PROGRESS_SLICES)]
    total, cut_points = fetch(slices_query, {"fractions": fractions, "since": since})[0]
    boundaries = sorted({point for point in (cut_points or []) if point is not None})
    if since is not None:
        boundaries = [point for point in boundaries if point > since]
    return total, boundaries


def _ensure_days_of_facts(since: dt.datetime | None) -> None:
    first, last = fetch("fact_transaction_time_range", {"since": since})[0]
    if first is not None:
        ensure_dim_dates(reporting_day(first), reporting_day(last))
