"""The webhook intake: authenticate and bound a delivery on its raw bytes, count a refusal,
and hand an authenticated delivery to dj-stripe's processing."""

import datetime as dt
import json

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from stripe_dwh.bounded_json import nesting_exceeds
from webhooks import signature
from webhooks.models import RejectedWebhookDelivery

Reason = RejectedWebhookDelivery.Reason
# Stripe's events nest about ten levels deep (event → data → object → list → item → …).
MAX_JSON_DEPTH = 64
# dj-stripe lets this header replace the endpoint secret when DEBUG is on (for the Stripe
# CLI): whoever sends it chooses the secret. Stripe itself never sends it.
DJSTRIPE_SECRET_HEADER = "X-Djstripe-Webhook-Secret"


class DeliveryRefused(Exception):
    def __init__(self, reason: str, status: int, message: str, body_bytes: int = 0):
        super().__init__(message)
        self.reason, self.status, self.body_bytes = reason, status, body_bytes


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def authenticate_delivery(request, uuid):
    """The WebhookEndpoint a request is for, once it has passed every check, cheapest first:
    size (from Content-Length, before reading), dj-stripe's debug secret header, a signature
    header, the endpoint, the signature over the raw bytes, then JSON depth and shape.
    Raises DeliveryRefused otherwise."""
    from djstripe.models import WebhookEndpoint

    limit = settings.WEBHOOK_MAX_BODY_BYTES
    declared = _declared_length(request)
    if declared > limit:
        raise DeliveryRefused(Reason.BODY_TOO_LARGE, 413, f"body over {limit} bytes", declared)
    if DJSTRIPE_SECRET_HEADER in request.headers:
        raise DeliveryRefused(
            Reason.SECRET_HEADER, 400, f"the {DJSTRIPE_SECRET_HEADER} header is refused"
        )
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        raise DeliveryRefused(Reason.MISSING_SIGNATURE, 400, "missing Stripe-Signature header")
    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=uuid).first()
    if endpoint is None:
        raise DeliveryRefused(Reason.UNKNOWN_ENDPOINT, 404, "no such webhook endpoint")

    body = request.body  # at most `limit` bytes: Content-Length was checked above
    try:
        signature.verify(body, header, endpoint.secret, endpoint.djstripe_tolerance)
    except signature.SignatureError as error:
        raise DeliveryRefused(error.reason, 400, str(error), len(body)) from None
    if nesting_exceeds(body, MAX_JSON_DEPTH):
        raise DeliveryRefused(
            Reason.TOO_DEEPLY_NESTED,
            400,
            f"JSON nests deeper than {MAX_JSON_DEPTH} levels",
            len(body),
        )
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise DeliveryRefused(Reason.NOT_JSON_OBJECT, 400, "body is not a JSON object", len(body))
    return endpoint


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
    """Hand an authenticated, size- and shape-checked delivery to the Stripe events app:
    dj-stripe's WebhookEventTrigger is stored and re-validated, the event is stored as a
    receipt, then processed now (inline, the default) or enqueued for a Celery worker
    (CELERY_BROKER_URL); see stripe_events/services/intake.py.

    The one place where a verified delivery is processed. Returns the trigger (its `valid`
    decides 200 or 400); processing errors propagate (500, trigger kept with its traceback,
    the event listed as failed); an event whose object Stripe cannot return is answered 200
    and listed as unresolved."""
    from stripe_events.services.intake import receive_verified_delivery

    return receive_verified_delivery(request, webhook_endpoint)
