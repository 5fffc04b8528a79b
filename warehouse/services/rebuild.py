"""rebuild_warehouse: recompute the payments tables from dj-stripe's tables, set-based."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from warehouse.services._sql_runner import execute, fetch_all, scope
from warehouse.services.calendar import ensure_dim_dates, reporting_time_zone
from warehouse.services.customer_months import refresh_customer_months


@dataclass
class RebuildSummary:
    rows_written: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self.rows_written.items())


# (label, statement, scope kind): the order matters only for readability of the progress;
# foreign keys are deferred to the commit.
_STEPS = [
    ("customers", "dim_customer_upsert", "objects"),
    ("payment methods", "dim_payment_method_upsert", "objects"),
    ("charges", "fact_charges_upsert", "objects"),
    ("refunds", "fact_refunds_upsert", "objects"),
    ("disputes", "fact_disputes_upsert", "objects"),
    ("pruned movements", "fact_transactions_prune", "objects"),
    ("payment method placeholders", "dim_payment_method_stubs_insert", "references"),
    ("customer placeholders", "dim_customer_stubs_insert", "references"),
    ("customer payment times", "dim_customer_payment_times_update", "references"),
]


@transaction.atomic
def rebuild_warehouse(
    since: dt.datetime | None = None, progress: Callable[[str], None] = lambda message: None
) -> RebuildSummary:
    """Recompute dim_customer, dim_payment_method, fact_transaction, fact_customer_month
    (and the dim_date days they need) from dj-stripe's tables. Idempotent.

    `since` limits the work to objects dj-stripe synced (dimensions) or money that moved
    (facts) at or after that moment; customer payment times and months are recomputed
    for everyone, as they aggregate over all time.
    """
    summary = RebuildSummary()
    object_scope = scope(None, since)
    reference_scope = {"all_rows": True, "customer_ids": [], "payment_method_ids": []}
    for label, statement, kind in _STEPS:
        progress(f"{label}…")
        count = execute(statement, object_scope if kind == "objects" else reference_scope)
        summary.rows_written[label] = count
        progress(f"{label}: {count} rows written")
        if statement == "fact_disputes_upsert":
            _ensure_days_of_facts(since)
    progress("customer months…")
    refresh_customer_months(None)
    summary.rows_written["customer months"] = fetch_all(
        "select count(*) from fact_customer_month", []
    )[0][0]
    progress(f"customer months: {summary.rows_written['customer months']} rows")
    return summary


def _ensure_days_of_facts(since: dt.datetime | None) -> None:
    first, last = fetch_all(
        "select min(occurred_at), max(occurred_at) from fact_transaction "
        "where %(since)s::timestamptz is null or occurred_at >= %(since)s::timestamptz",
        {"since": since},
    )[0]
    if first is not None:
        zone = reporting_time_zone()
        ensure_dim_dates(first.astimezone(zone).date(), last.astimezone(zone).date())
