"""What happens to a webhook: dj-stripe's trigger and validation, then the event is stored
and processed now (inline, the default) or handed to a Celery worker (CELERY_BROKER_URL).

`receive_verified_delivery` (called by the webhooks app's view, through
`webhooks.services.intake.process_verified_delivery`) is dj-stripe's
`WebhookEventTrigger.from_request` with its one processing step replaced (dj-stripe's
DJSTRIPE_WEBHOOK_EVENT_CALLBACK would do that, but it is deprecated and fails `check`): the
trigger row, validation and the
webhook_pre_validate / post_validate / pre_process / post_process / processing_error
signals are dj-stripe's, sent by WebhookEventTrigger as dj-stripe sends them.

The answer Stripe gets:
- 200 when the event is processed, stored for a worker, or unresolved (its object cannot be
  retrieved: Stripe would only redeliver the same 404; the event is listed as unresolved
  and retried by the catch-up and `retry_unresolved_events`);
- 400 when it did not validate;
- 500 when processing raised (Stripe unreachable, a bug): Stripe redelivers, and the event
  is listed as failed meanwhile.
"""

from traceback import format_exc

from django.db import transaction
from djstripe import models as djstripe_models
from djstripe import signals as djstripe_signals
from djstripe.models.webhooks import get_remote_ip
from djstripe.settings import djstripe_settings

from stripe_events import queue
from stripe_events.models import StripeEventReceipt
from stripe_events.services.processing import process_event, store_event

Status = StripeEventReceipt.Status
Trigger = djstripe_models.WebhookEventTrigger
TRIGGER_EXCEPTION_LENGTH = Trigger._meta.get_field("exception").max_length


def receive_verified_delivery(request, webhook_endpoint) -> djstripe_models.WebhookEventTrigger:
    """Store, validate and process (or enqueue) one webhook request; returns its trigger
    (`valid` decides 200 or 400). Processing errors are re-raised (500) with the trigger
    kept, its traceback recorded, and the event listed as failed."""
    try:
        body = request.body.decode(request.encoding or "utf-8")
    except UnicodeDecodeError:
        body = "(error decoding body)"
    account = webhook_endpoint.djstripe_owner_account
    trigger = Trigger.objects.create(
        headers=dict(request.headers),
        body=body,
        remote_ip=get_remote_ip(request),
        stripe_trigger_account=account,
        webhook_endpoint=webhook_endpoint,
    )
    api_key = (account.default_api_key if account else None) or (
        djstripe_settings.get_default_api_key(webhook_endpoint.livemode)
    )
    try:
        with transaction.atomic():
            djstripe_signals.webhook_pre_validate.send(sender=Trigger, instance=trigger)
            trigger.valid = trigger.validate(secret=webhook_endpoint.secret, api_key=api_key)
            djstripe_signals.webhook_post_validate.send(
                sender=Trigger, instance=trigger, valid=trigger.valid
            )
            if trigger.valid:
                handle_verified_event(trigger, api_key)
    except Exception as exc:
        trigger.exception = str(exc)[:TRIGGER_EXCEPTION_LENGTH]
        trigger.traceback = format_exc()
        djstripe_signals.webhook_processing_error.send(
            sender=Trigger,
            instance=trigger,
            api_key=api_key,
            exception=exc,
            data=getattr(exc, "http_body", ""),
        )
        trigger.save()
        raise
    trigger.save()
    return trigger


def handle_verified_event(trigger: djstripe_models.WebhookEventTrigger, api_key: str) -> None:
    """Store the trigger's event; process it now, or enqueue it for a worker."""
    payload = trigger.json_body
    use_queue = queue.enabled()
    receipt, _ = store_event(payload, StripeEventReceipt.Source.WEBHOOK, enqueued=use_queue)
    if use_queue:
        # The worker sends webhook_pre_process / post_process around the processing.
        if receipt.status != Status.PROCESSED:
            queue.enqueue_on_commit(receipt.event_id)
        trigger.processed = receipt.status == Status.PROCESSED
        return
    # process_event sends webhook_pre_process / webhook_post_process with this trigger.
    status = process_event(receipt.event_id, trigger=trigger, api_key=api_key)
    trigger.processed = status == Status.PROCESSED
    if status == Status.UNRESOLVED:
        receipt.refresh_from_db(fields=["reason"])
        trigger.exception = f"unresolved: {receipt.reason}"[:TRIGGER_EXCEPTION_LENGTH]
