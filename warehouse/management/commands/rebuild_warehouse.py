"""manage.py rebuild_warehouse [--since YYYY-MM-DD]: recompute the payments warehouse."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from warehouse.calendar import reporting_time_zone
from warehouse.services import rebuild_warehouse


def parse_since(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since must be a date like 2025-03-01, got {value!r}") from exc
    return dt.datetime.combine(day, dt.time.min, tzinfo=reporting_time_zone())


class Command(BaseCommand):
    help = (
        "Recompute dim_customer, dim_payment_method, fact_transaction and fact_customer_month "
        "from dj-stripe's tables with set-based SQL. Idempotent; safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            metavar="YYYY-MM-DD",
            help="Only objects synced / money moved from this day on (reporting time zone).",
        )

    def handle(self, *args, since=None, **options):
        since_moment = parse_since(since) if since else None
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stdout.flush()

        scope = f"since {since_moment:%Y-%m-%d %Z}" if since_moment else "all history"
        progress(f"Rebuilding the payments warehouse ({scope})")
        try:
            summary = rebuild_warehouse(since=since_moment, progress=progress)
        except DatabaseError as exc:
            raise CommandError(f"Rebuild failed and was rolled back: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Warehouse rebuilt ({scope}) in {time.monotonic() - started:.1f}s: {summary}"
            )
        )
