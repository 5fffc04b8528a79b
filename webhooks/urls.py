"""The Stripe webhook URL, under dj-stripe's URL name.

Mounted in the `djstripe` namespace (stripe_dwh/urls.py) so that dj-stripe's admin and
commands that reverse "djstripe:djstripe_webhook_by_uuid" get this view; dj-stripe's own
ProcessWebhookView is not routed at all.
"""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("webhook/<uuid:uuid>/", views.stripe_webhook, name="djstripe_webhook_by_uuid"),
]
