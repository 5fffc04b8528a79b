"""HTTP entry points: Stripe's webhook, and GET /healthz (event processing health as JSON,
for monitoring: no secrets, no customer data; open like any health check)."""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.generic import View
from djstripe.models import WebhookEndpoint

from stripe_events.services.health import event_health
from stripe_events.services.intake import receive_verified_delivery


@login_not_required
@never_cache
@require_GET
def healthz(request):
    return JsonResponse(event_health())


@method_decorator(transaction.non_atomic_requests, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class StripeWebhookView(View):
    """Stripe's webhook URL (under dj-stripe's URL name): dj-stripe's view, with the event
    stored and processed through the Stripe events app (inline or on a Celery worker)."""

    def post(self, request, uuid):
        if "stripe-signature" not in request.headers:
            return HttpResponseBadRequest("missing Stripe-Signature header")
        endpoint = get_object_or_404(WebhookEndpoint, djstripe_uuid=uuid)
        trigger = receive_verified_delivery(request, endpoint)
        if not trigger.valid:
            return HttpResponseBadRequest("the event did not validate")
        return HttpResponse(str(trigger.id))
