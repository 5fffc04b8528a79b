"""manage.py register_webhook_endpoint: the local WebhookEndpoint row, from settings."""

import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse


class Command(BaseCommand):
    help = (
        "Create or update dj-stripe's WebhookEndpoint row from STRIPE_WEBHOOK_SECRET, "
        "STRIPE_WEBHOOK_UUID, STRIPE_WEBHOOK_ENDPOINT_ID and PUBLIC_BASE_URL, without calling "
        "Stripe (for endpoints created in the Stripe dashboard). Prints the URL to paste there. "
        "Safe to re-run."
    )

    def handle(self, *args, **options):
        from djstripe.models import WebhookEndpoint

        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret or not secret.startswith("whsec_"):
            raise CommandError(
                "STRIPE_WEBHOOK_SECRET must be set to the endpoint's signing secret (whsec_…)."
            )
        try:
            endpoint_uuid = uuid.UUID(str(settings.STRIPE_WEBHOOK_UUID))
        except ValueError as exc:
            raise CommandError(
                "STRIPE_WEBHOOK_UUID must be a UUID (python -c 'import uuid; print(uuid.uuid4())')."
            ) from exc
        endpoint_id = settings.STRIPE_WEBHOOK_ENDPOINT_ID
        if not endpoint_id:
            raise CommandError("STRIPE_WEBHOOK_ENDPOINT_ID must not be empty.")
        base_url = settings.PUBLIC_BASE_URL.rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise CommandError("PUBLIC_BASE_URL must start with http:// or https://.")
        url = base_url + reverse(
            "djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint_uuid}
        )

        values = {
            "livemode": settings.STRIPE_LIVE_MODE,
            "secret": secret,
            "url": url,
            "status": "enabled",
            "enabled_events": ["*"],
            "api_version": "",
            "djstripe_uuid": endpoint_uuid,
        }
        with transaction.atomic():
            # The UUID is the endpoint's identity in our URL: re-use its row if the id changed.
            endpoint = (
                WebhookEndpoint.objects.select_for_update()
                .filter(djstripe_uuid=endpoint_uuid)
                .first()
                or WebhookEndpoint.objects.select_for_update().filter(id=endpoint_id).first()
            )
            created = endpoint is None
            if created:
                endpoint = WebhookEndpoint(id=endpoint_id, **values)
            else:
                endpoint.id = endpoint_id
                for name, value in values.items():
                    setattr(endpoint, name, value)
            endpoint.save()

        verb = "Registered" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} webhook endpoint {endpoint_id}."))
        self.stdout.write(f"Paste this URL into the Stripe dashboard's webhook endpoint: {url}")
