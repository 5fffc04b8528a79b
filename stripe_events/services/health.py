"""The health of event processing, for /healthz and the admin index. Counts and times only:
no secrets, no customer data."""

from django.db.models import Count, Max, Min, Q

from stripe_events.models import EventLogCursor, StripeEventReceipt

Status = StripeEventReceipt.Status


def event_health() -> dict:
    counts = StripeEventReceipt.objects.aggregate(
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        unresolved=Count("pk", filter=Q(status=Status.UNRESOLVED)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        last_processed_at=Max("processed_at"),
        oldest_pending_received_at=Min("received_at", filter=Q(status=Status.PENDING)),
    )
    cursor = EventLogCursor.objects.order_by("-last_run_finished_at").first()

    def iso(moment):
        return moment.isoformat() if moment else None

    status = "ok"
    if counts["unresolved"] or counts["failed"]:
        status = "degraded"
    return {
        "status": status,
        "last_event_processed_at": iso(counts["last_processed_at"]),
        "events_pending": counts["pending"],
        "oldest_pending_received_at": iso(counts["oldest_pending_received_at"]),
        "events_unresolved": counts["unresolved"],
        "events_failed": counts["failed"],
        "last_catch_up_at": iso(cursor.last_run_finished_at) if cursor else None,
        "catch_up_lag_seconds": cursor.last_run_lag_seconds if cursor else None,
        "catch_up_missing_events": cursor.last_run_missing if cursor else None,
    }
