"""Command-line parsing shared by the Stripe events commands."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils.dateparse import parse_datetime


def parse_moment(value: str, option: str) -> dt.datetime:
    """An ISO date or date-time; naive values are taken in UTC."""
    moment = parse_datetime(value)
    if moment is None:
        try:
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time.min)
        except ValueError as exc:
            raise CommandError(
                f"{option} must be a date or date-time like 2026-11-01 or 2026-11-01T08:00, "
                f"got {value!r}"
            ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
