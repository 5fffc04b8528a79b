"""What the webhook intake keeps about requests it refused (never their bodies or headers)."""

from django.db import models


class RejectedWebhookDelivery(models.Model):
    """Requests to the Stripe webhook URL refused before anything of theirs was stored.

    Grain: one row per (minute received, remote address, reason), with a count, so that a
    flood of forged or oversized requests adds at most a few small rows a minute per address
    instead of one stored body per request. Pruned by `manage.py prune_webhook_triggers`.
    """

    class Reason(models.TextChoices):
        BODY_TOO_LARGE = "body_too_large", "Body over WEBHOOK_MAX_BODY_BYTES"
        MISSING_SIGNATURE = "missing_signature", "No Stripe-Signature header"
        BAD_SIGNATURE = "bad_signature", "Signature does not match the endpoint secret"
        TIMESTAMP_OUT_OF_TOLERANCE = (
            "timestamp_out_of_tolerance",
            "Signature timestamp too far in the past or the future",
        )
        SECRET_HEADER = "secret_header", "Carried X-Djstripe-Webhook-Secret"
        UNKNOWN_ENDPOINT = "unknown_endpoint", "No webhook endpoint with this UUID"
        NOT_JSON_OBJECT = "not_json_object", "Signed body is not a JSON object"
        TOO_DEEPLY_NESTED = "too_deeply_nested", "Signed body nests deeper than allowed"

    received_minute = models.DateTimeField(help_text="The minute the requests arrived in (UTC).")
    remote_addr = models.CharField(
        max_length=45, blank=True, help_text="REMOTE_ADDR (the proxy's address behind one)."
    )
    reason = models.CharField(max_length=32, choices=Reason.choices)
    request_count = models.PositiveIntegerField(default=1)
    largest_body_bytes = models.PositiveBigIntegerField(
        default=0, help_text="Largest declared or received body size among these requests."
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["received_minute", "remote_addr", "reason"],
                name="rejected_webhook_delivery_grain",
            )
        ]
        verbose_name = "rejected webhook delivery"
        verbose_name_plural = "rejected webhook deliveries"

    def __str__(self):
        return f"{self.received_minute:%Y-%m-%d %H:%M} {self.remote_addr} {self.reason}"
