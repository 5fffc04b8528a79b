"""dim_date: the calendar, and the reporting-time-zone day of a moment."""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from warehouse import sql


def reporting_time_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def reporting_day(moment: dt.datetime | dt.date) -> dt.date:
    """A moment's calendar day in the reporting time zone (a date is its own day)."""
    if isinstance(moment, dt.datetime):
        return timezone.localtime(moment, reporting_time_zone()).date()
    return moment


def date_sk_for(moment: dt.datetime | dt.date) -> int:
    """The dim_date key of a moment's day in the reporting time zone (or of a date)."""
    day = reporting_day(moment)
    return day.year * 10000 + day.month * 100 + day.day


def ensure_dim_dates(first_day: dt.date, last_day: dt.date) -> None:
    """Make sure dim_date holds every day from first_day to last_day (idempotent)."""
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    with connection.cursor() as cursor:
        cursor.execute(sql.load("dim_date_fill"), {"first_day": first_day, "last_day": last_day})


def ensure_dim_dates_for(moments: Iterable[dt.datetime | dt.date]) -> None:
    """Extend dim_date to cover the days of the given moments (reporting time zone)."""
    days = [reporting_day(moment) for moment in moments]
    if days:
        ensure_dim_dates(min(days), max(days))
