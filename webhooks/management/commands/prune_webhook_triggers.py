"""manage.py prune_webhook_triggers [--days N]: delete old invalid webhook records."""

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from webhooks.services.pruning import prune_webhook_triggers


class Command(BaseCommand):
    help = (
        "Delete dj-stripe webhook triggers that failed validation and the counts of refused "
        "webhook requests, once older than WEBHOOK_TRIGGER_RETENTION_DAYS (or --days). "
        "Valid triggers are kept. Safe to re-run; meant to be scheduled daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention in days (default: WEBHOOK_TRIGGER_RETENTION_DAYS, %(default)s).",
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, days=None, batch_size=5000, **options):
        days = settings.WEBHOOK_TRIGGER_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError(f"--days must be 0 or more, got {days}.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be 1 or more, got {batch_size}.")
        cutoff = timezone.now() - dt.timedelta(days=days)
        started = time.monotonic()

        def progress(table: str, deleted: int) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {table}: {deleted} deleted")
            self.stdout.flush()

        self.stdout.write(f"Pruning invalid webhook records older than {cutoff:%Y-%m-%d %H:%M %Z}")
        try:
            counts = prune_webhook_triggers(cutoff, batch_size=batch_size, progress=progress)
        except DatabaseError as exc:
            raise CommandError(f"Pruning failed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Pruned {counts['invalid_triggers']} invalid triggers and "
                f"{counts['rejected_deliveries']} rejected-delivery rows older than {days} days "
                f"in {time.monotonic() - started:.1f}s."
            )
        )
