"""Writes to the warehouse: idempotent upserts and set-based recomputation.

One module per concern; the names callers need are re-exported here. Every flush of a change
set runs these steps in order: complete upstream, facts and dimensions, marts.
"""

from warehouse.calendar import (  # noqa: F401  (the calendar's home is warehouse.calendar)
    date_sk_for,
    reporting_day,
    reporting_time_zone,
)
from warehouse.services import change_set, marts, payments, subscriptions
from warehouse.services.dim_date import ensure_dim_dates, ensure_dim_dates_for  # noqa: F401
from warehouse.services.marts import refresh_customer_months, refresh_marts  # noqa: F401
from warehouse.services.payments import (  # noqa: F401
    record_balance_transaction_source,
    record_charges,
    record_customers,
    record_disputes,
    record_payment_methods,
    record_refunds,
)
from warehouse.services.rebuild import RebuildSummary, rebuild_warehouse  # noqa: F401

change_set.register_step("complete upstream: subscriptions", subscriptions.complete_upstream)
change_set.register_step("complete upstream", payments.complete_upstream)
change_set.register_step("facts", payments.write_payments)
change_set.register_step("subscriptions", subscriptions.write_subscriptions)
change_set.register_step("marts", marts.refresh_for_change_set)
