"""fact_customer_month and the report aggregates built on it, recomputed set-based from
fact_transaction."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from warehouse import sql
from warehouse.services.locks import lock_all_customers, lock_customers


def _customer_months_params(customer_ids: Iterable[str] | None) -> dict:
    return {
        "time_zone": settings.TIME_ZONE,
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
    if customer_ids is None:
        lock_all_customers()
    else:
        lock_customers(params["customer_ids"])
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute(sql.load("report_aggregates_clear"))
        cursor.execute(sql.load("customer_months_refresh"), params)
