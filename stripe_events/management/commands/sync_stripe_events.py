"""manage.py sync_stripe_events [--since DATETIME] [--types TYPE ...]: catch up from Stripe's
event log."""

import time

from django.core.management.base import BaseCommand, CommandError

from stripe_events.management.commands._options import parse_moment
from stripe_events.services.catch_up import sync_events


class Command(BaseCommand):
    help = (
        "Process every event of Stripe's event log (the last 30 days) not processed here yet, "
        "through the webhook's processing path, from the stored cursor on; then retry events "
        "left unresolved or failed. Exits 1 when any event fails or stays unresolved."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", help="List from this moment (ISO, UTC if naive) instead of the cursor."
        )
        parser.add_argument(
            "--types", nargs="+", metavar="TYPE", help="Only these event types (* wildcards)."
        )
        parser.add_argument(
            "--no-retry", action="store_true", help="Do not retry older unresolved events."
        )

    def handle(self, *args, since=None, types=None, no_retry=False, **options):
        since_moment = parse_moment(since, "--since") if since else None
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stdout.flush()

        try:
            summary = sync_events(
                since=since_moment, types=types, retry_open=not no_retry, progress=progress
            )
        except Exception as exc:
            raise CommandError(f"Catch-up failed: {exc}") from exc
        line = f"sync_stripe_events: {summary.line()} in {time.monotonic() - started:.1f}s"
        if summary.failed or summary.unresolved:
            self.stdout.write(self.style.ERROR(line))
            raise CommandError(
                f"{summary.failed} failed and {summary.unresolved} unresolved events "
                "(see the admin's Stripe events, or retry_unresolved_events)",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(line))
