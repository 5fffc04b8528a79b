"""The marts: what the report pages read, pre-aggregated and delta-maintained.

One entry point, `refresh_marts`, refreshes them for a change set: the flush, the install
import, the install callback and `rebuild_warehouse` all call it.
"""

from warehouse.services import change_set as changes
from warehouse.services.customer_months import refresh_customer_months


def refresh_for_change_set(change_set: changes.ChangeSet) -> None:
    """The flush's marts step: the customers whose movements changed."""
    customer_ids = change_set.take(changes.CUSTOMER_FACTS)
    if customer_ids:
        refresh_customer_months(customer_ids)
