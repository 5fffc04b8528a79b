"""fact_customer_month and the report aggregates built on it, recomputed set-based from
fact_transaction."""

from collections.abc import Iterable

from django.db import connection, transaction

from warehouse import sql_files
from warehouse.calendar import reporting_time_zone_name

# Advisory lock (two-int key space, apart from the per-customer hashtext keys): a full
# recompute empties and refills the shared aggregates, so it excludes the per-customer
# refreshes, which only add deltas to them and may run side by side.
AGGREGATES_LOCK = (20260, 8)


def _customer_months_params(customer_ids: Iterable[str] | None) -> dict:
    return {
        "time_zone": reporting_time_zone_name(),
        "all_customers": customer_ids is None,
        "customer_ids": [] if customer_ids is None else sorted(set(customer_ids)),
        "subtract_previous": customer_ids is not None,
    }


@transaction.atomic
def refresh_customer_months(customer_ids: Iterable[str] | None = None) -> None:
    """Recompute fact_customer_month from fact_transaction for these customers (None: all),
    and keep fact_month, fact_cohort_month and fact_customer_lifetime current with it.

    For some customers, the aggregates receive the difference between the customers' new
    and old months (delta maintenance: the cost follows the customers' history, not the
    table). None recomputes everything from scratch. Idempotent. Concurrent refreshes of
    the same customer are serialised by a transaction-scoped advisory lock, so neither sees
    a half-written month; refreshes of different customers run side by side.
    """
    params = _customer_months_params(customer_ids)
    if customer_ids is not None and not params["customer_ids"]:
        return
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute("select pg_advisory_xact_lock(%s, %s)", AGGREGATES_LOCK)
            cursor.execute(sql_files.load("report_aggregates_clear"))
        else:
            cursor.execute("select pg_advisory_xact_lock_shared(%s, %s)", AGGREGATES_LOCK)
            for customer_id in params["customer_ids"]:
                cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", [customer_id])
        cursor.execute(sql_files.load("customer_months_refresh"), params)
