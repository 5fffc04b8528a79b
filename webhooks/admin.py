"""Admin: dj-stripe's models read-only for everyone, and the refused-request counts.

Stripe is the source of dj-stripe's tables, and editing a Customer in the admin rewrote
dim_customer through the warehouse's signal receivers, so no one (superusers included) may
add, change or delete them here, nor run dj-stripe's admin actions (re-sync, cancel a
subscription, …), whose confirmation view dj-stripe routes without a permission check.
Changes are made in Stripe and arrive as webhooks.
"""

from django.contrib import admin

from stripe_dwh.read_only_admin import ReadOnlyAdminMixin
from webhooks.models import RejectedWebhookDelivery


class StripeDataReadOnly(ReadOnlyAdminMixin):
    """Mixed in front of each dj-stripe ModelAdmin: read-only, and no admin action."""

    def get_actions(self, request):
        return {}

    def get_urls(self):
        return [
            url
            for url in super().get_urls()
            if getattr(url, "name", None) != "djstripe_custom_action"
        ]


def make_djstripe_admin_read_only(site=admin.site) -> list[type]:
    """Re-register every dj-stripe model with a read-only subclass of its ModelAdmin
    (djstripe is before this app in INSTALLED_APPS, so its admin is registered by now)."""
    models = []
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label != "djstripe" or isinstance(model_admin, StripeDataReadOnly):
            continue
        read_only = type(
            f"ReadOnly{type(model_admin).__name__}", (StripeDataReadOnly, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, read_only)
        models.append(model)
    return models


make_djstripe_admin_read_only()


@admin.register(RejectedWebhookDelivery)
class RejectedWebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "received_minute",
        "remote_addr",
        "reason",
        "request_count",
        "largest_body_bytes",
        "last_seen_at",
    ]
    list_filter = ["reason"]
    search_fields = ["remote_addr"]
    date_hierarchy = "received_minute"
    actions = None
