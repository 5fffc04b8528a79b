"""The Stripe webhook URL: the request is authenticated and bounded first (see
webhooks.services.intake.authenticate_delivery), then processed by dj-stripe. Until the
signature has passed, nothing of the request is stored: a refusal only adds to a count in
RejectedWebhookDelivery. Limits: the README's "Security" section.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webhooks.services.intake import (
    DeliveryRefused,
    authenticate_delivery,
    process_verified_delivery,
    record_rejection,
)

logger = logging.getLogger(__name__)


@csrf_exempt
@login_not_required
@transaction.non_atomic_requests
@require_POST
def stripe_webhook(request: HttpRequest, uuid) -> HttpResponse:
    try:
        endpoint = authenticate_delivery(request, uuid)
    except DeliveryRefused as refusal:
        record_rejection(request.META.get("REMOTE_ADDR", ""), refusal.reason, refusal.body_bytes)
        # info, not warning: a flood would fill the logs; the counts are in the table
        logger.info("webhook refused (%s): %s", refusal.reason, refusal)
        return JsonResponse({"error": str(refusal)}, status=refusal.status)

    trigger = process_verified_delivery(request, endpoint)
    if not trigger.valid:
        return JsonResponse({"error": "the event did not validate"}, status=400)
    return HttpResponse(str(trigger.id))
