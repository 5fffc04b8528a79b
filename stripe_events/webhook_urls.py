"""Stripe's webhook URL in dj-stripe's namespace and under its URL name, so that dj-stripe's
admin and commands reverse to this view; dj-stripe's own view is not routed."""

from django.urls import path

from stripe_events import views

urlpatterns = [
    path(
        "webhook/<uuid:uuid>/", views.StripeWebhookView.as_view(), name="djstripe_webhook_by_uuid"
    ),
]
