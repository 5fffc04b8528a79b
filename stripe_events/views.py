"""GET /healthz: event processing health as JSON, for monitoring (no secrets, no customer
data; open like any health check). Stripe's webhook view is the webhooks app's."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from stripe_events.services.health import event_health


@login_not_required
@never_cache
@require_GET
def healthz(request):
    return JsonResponse(event_health())
