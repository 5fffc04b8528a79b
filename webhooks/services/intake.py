"""Writes of the webhook intake: the small record of a refused request, and the hand-over of
an authenticated delivery to dj-stripe's processing."""

import datetime as dt

from django.db import IntegrityError
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from webhooks.models import RejectedWebhookDelivery


def record_rejection(remote_addr: str, reason: str, body_bytes: int, now=None) -> None:
    """Count one refused request in its (minute, address, reason) row; nothing of the request
    itself is kept."""
    now = now or timezone.now()
    minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    key = {"received_minute": minute, "remote_addr": remote_addr[:45], "reason": reason}
    changes = {
        "request_count": F("request_count") + 1,
        "last_seen_at": now,
        "largest_body_bytes": Greatest("largest_body_bytes", body_bytes),
    }
    if RejectedWebhookDelivery.objects.filter(**key).update(**changes):
        return
    try:
        # The view runs outside ATOMIC_REQUESTS (autocommit), so a lost race surfaces here
        # as IntegrityError and the other request's row is counted instead.
        RejectedWebhookDelivery.objects.create(
            **key, largest_body_bytes=body_bytes, first_seen_at=now, last_seen_at=now
        )
    except IntegrityError:
        RejectedWebhookDelivery.objects.filter(**key).update(**changes)


def process_verified_delivery(request, webhook_endpoint):
    """Hand an authenticated, size- and shape-checked delivery to dj-stripe: it stores the
    WebhookEventTrigger, re-validates, and processes it into an Event (sending
    webhook_pre_process / webhook_post_process, which the warehouse's receivers hook).

    The one place where a verified delivery is processed; an asynchronous mode would queue
    here instead. Returns the trigger (its `valid` decides 200 or 400); processing errors
    propagate as dj-stripe raises them (500, trigger kept with its traceback)."""
    from djstripe.models import WebhookEventTrigger

    return WebhookEventTrigger.from_request(request, webhook_endpoint=webhook_endpoint)
