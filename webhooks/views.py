"""The Stripe webhook URL: cheap checks on the raw request, then dj-stripe's processing.

Order matters: size (from Content-Length, before reading), dj-stripe's debug-only secret
header, the endpoint, the signature over the raw bytes, the JSON's nesting depth and shape.
Until the signature has passed, nothing of the request is stored: a refusal only counts in
RejectedWebhookDelivery. See the README's "Security" section for the limits.
"""

import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from stripe_dwh.bounded_json import nesting_exceeds
from webhooks import signature
from webhooks.models import RejectedWebhookDelivery
from webhooks.services.intake import process_verified_delivery, record_rejection

logger = logging.getLogger(__name__)
Reason = RejectedWebhookDelivery.Reason

# Stripe's events nest about ten levels deep (event → data → object → list → item → …).
MAX_JSON_DEPTH = 64
# dj-stripe lets this header replace the endpoint secret when DEBUG is on (for the Stripe
# CLI): whoever sends it chooses the secret. Stripe itself never sends it.
DJSTRIPE_SECRET_HEADER = "X-Djstripe-Webhook-Secret"


def _refuse(request: HttpRequest, reason: str, status: int, message: str, body_bytes: int = 0):
    record_rejection(request.META.get("REMOTE_ADDR", ""), reason, body_bytes)
    # info, not warning: a flood would fill the logs; the counts are in the table
    logger.info("webhook refused (%s): %s", reason, message)
    return JsonResponse({"error": message}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


@csrf_exempt
@login_not_required
@transaction.non_atomic_requests
@require_POST
def stripe_webhook(request: HttpRequest, uuid) -> HttpResponse:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    declared = _declared_length(request)
    if declared > limit:
        return _refuse(
            request, Reason.BODY_TOO_LARGE, 413, f"body over {limit} bytes", body_bytes=declared
        )
    if DJSTRIPE_SECRET_HEADER in request.headers:
        return _refuse(
            request, Reason.SECRET_HEADER, 400, f"the {DJSTRIPE_SECRET_HEADER} header is refused"
        )
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        return _refuse(request, Reason.MISSING_SIGNATURE, 400, "missing Stripe-Signature header")

    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=uuid).first()
    if endpoint is None:
        return _refuse(request, Reason.UNKNOWN_ENDPOINT, 404, "no such webhook endpoint")

    body = request.body  # at most `limit` bytes: Content-Length was checked above
    try:
        signature.verify(body, header, endpoint.secret, endpoint.djstripe_tolerance)
    except signature.SignatureError as error:
        return _refuse(request, error.reason, 400, str(error), body_bytes=len(body))

    if nesting_exceeds(body, MAX_JSON_DEPTH):
        return _refuse(
            request,
            Reason.TOO_DEEPLY_NESTED,
            400,
            f"JSON nests deeper than {MAX_JSON_DEPTH} levels",
            body_bytes=len(body),
        )
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return _refuse(request, Reason.NOT_JSON_OBJECT, 400, "body is not a JSON object", len(body))

    trigger = process_verified_delivery(request, endpoint)
    if not trigger.valid:
        return JsonResponse({"error": "the event did not validate"}, status=400)
    return HttpResponse(str(trigger.id))
