"""manage.py backfill_stripe_objects --since DATE [--until DATE] [--types TYPE ...]"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from stripe_events.management.commands._options import parse_moment
from stripe_events.services.backfill import OBJECT_TYPES, backfill


class Command(BaseCommand):
    help = (
        "Sync Stripe objects created in a range from the API (for gaps older than the 30 days "
        "of Stripe's event log), through dj-stripe into the warehouse. Resumable: a rerun with "
        "the same range continues where the last one stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="Created from (ISO, UTC if naive).")
        parser.add_argument("--until", help="Created before (ISO, UTC if naive); default now.")
        parser.add_argument(
            "--types", nargs="+", choices=list(OBJECT_TYPES), default=list(OBJECT_TYPES)
        )
        parser.add_argument("--page-size", type=int, default=100)
        parser.add_argument(
            "--max-pages", type=int, help="Stop after this many pages (resume with a rerun)."
        )

    def handle(self, *args, since, until=None, types, page_size, max_pages=None, **options):
        created_gte = parse_moment(since, "--since")
        created_lt = parse_moment(until, "--until") if until else timezone.now()
        if created_gte >= created_lt:
            raise CommandError("--since must be before --until")
        if not 1 <= page_size <= 100:
            raise CommandError("--page-size must be from 1 to 100")
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")
            self.stdout.flush()

        progress(
            f"Backfilling {', '.join(types)} created {created_gte:%Y-%m-%d %H:%M} to "
            f"{created_lt:%Y-%m-%d %H:%M} UTC"
        )
        try:
            synced = backfill(
                types,
                created_gte,
                created_lt,
                page_size=page_size,
                max_pages=max_pages,
                progress=progress,
            )
        except Exception as exc:
            raise CommandError(f"Backfill stopped (rerun to resume): {exc}") from exc
        counts = ", ".join(f"{name} {count}" for name, count in synced.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"backfill_stripe_objects: synced {counts} in {time.monotonic() - started:.1f}s"
            )
        )
