"""The reporting calendar: the one place that says which day and month a moment belongs to.

Days and months of the warehouse and the reports are taken in the reporting time zone
(settings.TIME_ZONE, set from REPORTING_TIME_ZONE). `date_sk` is a day as the integer
YYYYMMDD, the key of dim_date. Pure functions, no database: the `reports` app and the
tooling import this module; filling dim_date is warehouse.services.dim_date.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def reporting_time_zone_name() -> str:
    """The IANA name of the reporting time zone, as the SQL files take it (`time_zone`)."""
    return settings.TIME_ZONE


def reporting_time_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def reporting_day(moment: dt.datetime | dt.date) -> dt.date:
    """A moment's calendar day in the reporting time zone (a date is its own day)."""
    if isinstance(moment, dt.datetime):
        return timezone.localtime(moment, reporting_time_zone()).date()
    return moment


def reporting_today() -> dt.date:
    """Today in the reporting time zone."""
    return reporting_day(timezone.now())


def reporting_localtime(moment: dt.datetime) -> dt.datetime:
    """A moment as wall-clock time in the reporting time zone."""
    return timezone.localtime(moment, reporting_time_zone())


def month_start(day: dt.date) -> dt.date:
    """The first day of the day's calendar month."""
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, if negative) `month`'s month."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """Whole calendar months from first's month to last's month (0 for the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of every month from first's month to last's month, inclusive."""
    first = month_start(first)
    return [add_months(first, n) for n in range(months_between(first, last) + 1)]


def date_sk(day: dt.date) -> int:
    """The dim_date key of a calendar day (a local datetime's own day): YYYYMMDD."""
    return day.year * 10000 + day.month * 100 + day.day


def date_sk_for(moment: dt.datetime | dt.date) -> int:
    """The dim_date key of a moment's day in the reporting time zone (or of a date)."""
    return date_sk(reporting_day(moment))


def day_of_date_sk(key: int) -> dt.date:
    return dt.date(key // 10000, key // 100 % 100, key % 100)
