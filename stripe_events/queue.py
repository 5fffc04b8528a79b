"""Hand stored events to Celery workers, when a broker is configured (CELERY_BROKER_URL).

Publishing happens after the storing transaction commits and never raises into the
webhook: with the broker down, the event stays stored as pending and the sweeper
(`stripe_events.tasks.sweep_stored_events`, run by Celery beat) enqueues it later.
"""

import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(getattr(settings, "CELERY_BROKER_URL", ""))


def enqueue(event_id: str) -> bool:
    """Publish one event's processing task; False (logged) when the broker cannot take it."""
    from stripe_events.tasks import process_stripe_event

    try:
        process_stripe_event.apply_async(args=[event_id], retry=False)
    except Exception:
        logger.warning(
            "Broker unavailable: Stripe event %s stays stored and will be swept",
            event_id,
            exc_info=True,
        )
        return False
    return True


def enqueue_on_commit(event_id: str) -> None:
    transaction.on_commit(functools.partial(enqueue, event_id), robust=True)


def requeue_stale(older_than_seconds: float, limit: int = 1000) -> int:
    """The outbox sweep: enqueue events stored but still pending after `older_than_seconds`
    (a lost message, a dead worker, a broker that was down). Returns how many."""
    from stripe_events.models import StripeEventReceipt

    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    pending = StripeEventReceipt.objects.filter(
        status=StripeEventReceipt.Status.PENDING, received_at__lt=cutoff
    ).exclude(enqueued_at__gte=cutoff)
    event_ids = list(pending.order_by("received_at").values_list("event_id", flat=True)[:limit])
    enqueued = [event_id for event_id in event_ids if enqueue(event_id)]
    StripeEventReceipt.objects.filter(event_id__in=enqueued).update(enqueued_at=timezone.now())
    return len(enqueued)
