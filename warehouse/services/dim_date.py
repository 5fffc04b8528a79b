"""dim_date: extend the calendar table to cover the days the warehouse writes."""

import datetime as dt
from collections.abc import Iterable

from warehouse import sql_files
from warehouse.calendar import reporting_day


def ensure_dim_dates(first_day: dt.date, last_day: dt.date) -> None:
    """Make sure dim_date holds every day from first_day to last_day (idempotent)."""
    sql_files.execute("dim_date_fill", dim_date_fill_params(first_day, last_day), prepared=True)


def dim_date_fill_params(first_day: dt.date, last_day: dt.date) -> dict:
    """Parameters of dim_date_fill.sql, for the days from first_day to last_day."""
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    return {"first_day": first_day, "last_day": last_day}


def ensure_dim_dates_for(moments: Iterable[dt.datetime | dt.date]) -> None:
    """Extend dim_date to cover the days of the given moments (reporting time zone)."""
    days = [reporting_day(moment) for moment in moments]
    if days:
        ensure_dim_dates(min(days), max(days))
