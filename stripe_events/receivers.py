"""Signal receivers of the Stripe events app. Thin: record, nothing else."""

from django.dispatch import receiver
from djstripe import signals as djstripe_signals

from stripe_events.models import StripeEventReceipt
from stripe_events.services.processing import record_failure, store_event


@receiver(djstripe_signals.webhook_processing_error, dispatch_uid="stripe_events_failed")
def webhook_processing_failed(sender, instance, exception, **kwargs):
    """dj-stripe rolled the webhook's transaction back (our receipt with it) and answers 500:
    keep the event, listed as failed, until Stripe's redelivery or a retry processes it."""
    payload = instance.json_body
    if isinstance(payload, dict) and payload.get("id"):
        store_event(payload, StripeEventReceipt.Source.WEBHOOK)
        record_failure(payload["id"], exception)
