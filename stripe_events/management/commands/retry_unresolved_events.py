"""manage.py retry_unresolved_events [--failed-only | --unresolved-only] [EVENT_ID ...]"""

import time

from django.core.management.base import BaseCommand, CommandError

from stripe_events.models import StripeEventReceipt
from stripe_events.services.catch_up import open_event_ids, retry_open_events

Status = StripeEventReceipt.Status


class Command(BaseCommand):
    help = (
        "Process again the Stripe events left unresolved (their object could not be "
        "retrieved) or failed. Exits 1 when any is still not processed."
    )

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="*", metavar="EVENT_ID")
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--unresolved-only", action="store_true")
        only.add_argument("--failed-only", action="store_true")

    def handle(self, *args, event_ids=(), unresolved_only=False, failed_only=False, **options):
        statuses = (
            (Status.UNRESOLVED,)
            if unresolved_only
            else (Status.FAILED,)
            if failed_only
            else (Status.UNRESOLVED, Status.FAILED)
        )
        if event_ids:
            known = set(
                StripeEventReceipt.objects.filter(
                    event_id__in=event_ids, status__in=statuses
                ).values_list("event_id", flat=True)
            )
            unknown = sorted(set(event_ids) - known)
            if unknown:
                raise CommandError(f"Not unresolved or failed here: {', '.join(unknown)}")
            ids = [event_id for event_id in event_ids if event_id in known]
        else:
            ids = open_event_ids(statuses)
        started = time.monotonic()
        self.stdout.write(f"Retrying {len(ids)} events")
        counts = retry_open_events(
            statuses, event_ids=ids, progress=lambda message: self.stdout.write(message)
        )
        line = (
            f"retry_unresolved_events: {len(ids)} retried, {counts['processed']} processed, "
            f"{counts['unresolved']} still unresolved, {counts['failed']} failed "
            f"in {time.monotonic() - started:.1f}s"
        )
        if counts["unresolved"] or counts["failed"]:
            self.stdout.write(self.style.ERROR(line))
            raise CommandError("some events are still not processed", returncode=1)
        self.stdout.write(self.style.SUCCESS(line))
