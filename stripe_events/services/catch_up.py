"""Catch up from Stripe's event log (`GET /v1/events`, the last 30 days), and retry events
left unresolved or failed.

Each event of the log that is not processed here yet goes through the webhook's processing
path (stripe_events.services.processing), oldest first, so the warehouse ends as if every
webhook had arrived. The cursor (EventLogCursor) remembers the newest event seen; the next
run lists from that second on.
"""

import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils import timezone
from djstripe import models as djstripe_models
from djstripe.settings import djstripe_settings

from stripe_events.models import EventLogCursor, StripeEventReceipt
from stripe_events.services.processing import process_event_recording_failure, store_event

logger = logging.getLogger(__name__)
Status = StripeEventReceipt.Status
EVENT_LOG_RETENTION = timedelta(days=30)
PAGE_SIZE = 100


@dataclasses.dataclass
class CatchUpSummary:
    seen: int = 0
    new: int = 0
    already_processed: int = 0
    processed: int = 0
    unresolved: int = 0
    failed: int = 0
    retried: int = 0
    retried_resolved: int = 0
    lag_seconds: float = 0.0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def line(self) -> str:
        return (
            f"seen {self.seen}, new {self.new}, already processed {self.already_processed}, "
            f"failed {self.failed}, unresolved {self.unresolved}, processed {self.processed}; "
            f"retried {self.retried} older open events ({self.retried_resolved} resolved); "
            f"lag {self.lag_seconds:.0f} s"
        )


def _count(summary: CatchUpSummary, status: str) -> None:
    if status == Status.PROCESSED:
        summary.processed += 1
    elif status == Status.UNRESOLVED:
        summary.unresolved += 1
    else:
        summary.failed += 1


def _process(event_id: str) -> str:
    try:
        return process_event_recording_failure(event_id)
    except Exception:
        return Status.FAILED


def list_event_log(since: datetime, types: list[str] | None, api_key: str):
    """Stripe's event log from `since` on, newest first (stripe-python pages it)."""
    params = {"created": {"gte": int(since.timestamp())}, "limit": PAGE_SIZE}
    if types:
        params["types"] = list(types)
    return stripe.Event.list(
        api_key=api_key, stripe_version=djstripe_settings.STRIPE_API_VERSION, **params
    ).auto_paging_iter()


def _as_sent(event: stripe.Event) -> dict:
    """The event as Stripe sent it: stripe-python turns `*_decimal` strings (a price's
    `unit_amount_decimal`, an invoice line's) into Decimal, which the stored JSON payload
    and dj-stripe's webhook body cannot hold; they go back to Stripe's strings."""
    return json.loads(json.dumps(event.to_dict(), default=_decimal_string))


def _decimal_string(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def sync_events(
    *,
    since: datetime | None = None,
    types: list[str] | None = None,
    retry_open: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> CatchUpSummary:
    livemode = bool(settings.STRIPE_LIVE_MODE)
    api_key = djstripe_settings.get_default_api_key(livemode=livemode)
    cursor, _ = EventLogCursor.objects.get_or_create(livemode=livemode)
    started = timezone.now()
    oldest_kept = started - EVENT_LOG_RETENTION
    if since is None:
        since = cursor.last_event_created or oldest_kept
    since = max(since, oldest_kept)
    summary = CatchUpSummary()

    progress(f"Listing Stripe's event log from {since:%Y-%m-%d %H:%M:%S} UTC")
    log = []
    for event in list_event_log(since, types, api_key):
        log.append(_as_sent(event))
        if len(log) % 1000 == 0:
            progress(f"  listed {len(log)} events")
    log.reverse()  # oldest first, as Stripe created them
    summary.seen = len(log)

    ids = [event["id"] for event in log]
    done = set(
        StripeEventReceipt.objects.filter(event_id__in=ids, status=Status.PROCESSED).values_list(
            "event_id", flat=True
        )
    )
    # Events processed before receipts existed are in dj-stripe's table only.
    done |= set(djstripe_models.Event.objects.filter(id__in=ids).values_list("id", flat=True))
    missing = [event for event in log if event["id"] not in done]
    summary.already_processed = summary.seen - len(missing)
    summary.new = len(missing)
    if missing:
        oldest_missing = datetime.fromtimestamp(missing[0]["created"], tz=UTC)
        summary.lag_seconds = max(0.0, (started - oldest_missing).total_seconds())
    progress(f"{summary.seen} events in the log, {summary.new} not processed here")

    for index, payload in enumerate(missing, start=1):
        store_event(payload, StripeEventReceipt.Source.EVENT_LOG)
        _count(summary, _process(payload["id"]))
        if index % 100 == 0 or index == len(missing):
            progress(f"  processed {index}/{len(missing)}")

    if retry_open:
        in_log = set(ids)
        for event_id in open_event_ids():
            if event_id in in_log:
                continue
            summary.retried += 1
            if _process(event_id) == Status.PROCESSED:
                summary.retried_resolved += 1

    newest = log[-1] if log else None
    if newest and not types:
        cursor.last_event_created = datetime.fromtimestamp(newest["created"], tz=UTC)
        cursor.last_event_id = newest["id"]
    cursor.last_run_started_at = started
    cursor.last_run_finished_at = timezone.now()
    cursor.last_run_lag_seconds = summary.lag_seconds
    cursor.last_run_missing = summary.new
    cursor.last_run_summary = summary.as_dict()
    cursor.save()
    return summary


def open_event_ids(statuses=(Status.UNRESOLVED, Status.FAILED)) -> list[str]:
    return list(
        StripeEventReceipt.objects.filter(status__in=statuses)
        .order_by("stripe_created")
        .values_list("event_id", flat=True)
    )


def retry_open_events(
    statuses=(Status.UNRESOLVED, Status.FAILED),
    event_ids: list[str] | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Process unresolved and failed events again; counts by resulting status."""
    event_ids = open_event_ids(statuses) if event_ids is None else event_ids
    counts = {Status.PROCESSED: 0, Status.UNRESOLVED: 0, Status.FAILED: 0}
    for index, event_id in enumerate(event_ids, start=1):
        counts[_process(event_id)] += 1
        if index % 100 == 0 or index == len(event_ids):
            progress(f"  retried {index}/{len(event_ids)}")
    return {str(status): count for status, count in counts.items()}
