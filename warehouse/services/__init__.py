"""Writes to the warehouse: idempotent upserts and set-based recomputation.

One module per concern; the names callers need are re-exported here.
"""

from warehouse.calendar import (  # noqa: F401  (the calendar's home is warehouse.calendar)
    date_sk_for,
    reporting_day,
    reporting_time_zone,
)
from warehouse.services.customer_months import refresh_customer_months  # noqa: F401
from warehouse.services.dim_date import ensure_dim_dates, ensure_dim_dates_for  # noqa: F401
from warehouse.services.payments import (  # noqa: F401
    ensure_balance_transactions,
    record_balance_transaction_source,
    record_charges,
    record_customers,
    record_disputes,
    record_payment_methods,
    record_refunds,
    refresh_customer_facts,
)
from warehouse.services.rebuild import RebuildSummary, rebuild_warehouse  # noqa: F401
