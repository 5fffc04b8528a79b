"""Run the warehouse's `.sql` files with the scope parameters they share."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from warehouse import sql


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
        "time_zone": settings.TIME_ZONE,
        "user_id_key": settings.WAREHOUSE_USER_ID_METADATA_KEY,
    }


def execute(name: str, params: dict) -> int:
    """Run one statement; returns the number of rows it wrote."""
    with connection.cursor() as cursor:
        cursor.execute(sql.load(name), params)
        return max(cursor.rowcount, 0)


def fetch(name: str, params: dict) -> list[tuple]:
    """Run one query; returns its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql.load(name), params)
        return cursor.fetchall()


def fetch_one(name: str, params: dict) -> dict:
    """Run one statement that answers one row; returns it by column name."""
    with connection.cursor() as cursor:
        cursor.execute(sql.load(name), params)
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))
