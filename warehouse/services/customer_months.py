"""fact_customer_month, recomputed set-based from fact_transaction."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

from warehouse import sql


def _customer_months_params(customer_ids: Iterable[str] | None) -> dict:
    return {
        "time_zone": settings.TIME_ZONE,
        "all_customers": customer_ids is None,
        "customer_ids": [] if customer_ids is None else sorted(set(customer_ids)),
    }


@transaction.atomic
def refresh_customer_months(customer_ids: Iterable[str] | None = None) -> None:
    """Recompute fact_customer_month from fact_transaction for these customers (None: all).

    Idempotent. Concurrent refreshes of the same customer are serialised by a
    transaction-scoped advisory lock, so neither sees a half-written month.
    """
    params = _customer_months_params(customer_ids)
    with connection.cursor() as cursor:
        if customer_ids is not None:
            for customer_id in params["customer_ids"]:
                cursor.execute("select pg_advisory_xact_lock(hashtext(%s))", [customer_id])
        cursor.execute(sql.load("customer_months_upsert"), params)
        cursor.execute(sql.load("customer_months_prune"), params)
