"""The scope parameters every payments `.sql` file of the warehouse takes."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from warehouse.calendar import reporting_time_zone_name


def scope(
    ids: Iterable[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict:
    """Parameters of a payments statement: every row (ids None) or these Stripe ids,
    optionally only those created in [since, until)."""
    return {
        "all_rows": ids is None,
        "ids": [] if ids is None else sorted(set(ids)),
        "since": since,
        "until": until,
        "time_zone": reporting_time_zone_name(),
        "user_id_key": settings.WAREHOUSE_USER_ID_METADATA_KEY,
    }
