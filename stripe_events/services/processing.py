"""The one processing path of a Stripe event, whoever brings it: the webhook (inline or on a
Celery worker), the catch-up from Stripe's event log, the retry command and the admin.

`store_event` keeps the event (idempotent by event id); `process_event` runs it through
dj-stripe's `Event.process`, between dj-stripe's `webhook_pre_process` and
`webhook_post_process` signals (the warehouse's write path hooks them), in one transaction,
under a row lock on the receipt so that two workers never process one event twice.

Never dropped silently: dj-stripe skips an event whose object the API answers 404 for (and
marks it processed), or raises on it forever (customer.*). Here such an event, or one of the
wrong mode or account, rolls back whatever was stored for it and stays `unresolved` with the
reason; the webhook still answers 200 (Stripe would only redeliver the same 404).
"""

import json
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from djstripe import models as djstripe_models
from djstripe import signals as djstripe_signals
from djstripe._stripe_errors import object_is_absent
from djstripe.settings import djstripe_settings

from stripe_events.models import StripeEventReceipt

logger = logging.getLogger(__name__)
Status = StripeEventReceipt.Status

# Objects whose events dj-stripe (or the warehouse's receivers) sync into a local row: after
# processing, that row must exist, else the event is unresolved.
SYNCED_OBJECTS = {
    "charge": djstripe_models.Charge,
    "refund": djstripe_models.Refund,
    "dispute": djstripe_models.Dispute,
    "customer": djstripe_models.Customer,
    "payment_method": djstripe_models.PaymentMethod,
    "payment_intent": djstripe_models.PaymentIntent,
    "subscription": djstripe_models.Subscription,
    "invoice": djstripe_models.Invoice,
    "product": djstripe_models.Product,
    "price": djstripe_models.Price,
}
# Event types after which the object is meant to be gone (or is synced from the payload).
_NO_ROW_EXPECTED = ("payment_method.detached",)


class EventUnresolved(Exception):
    """The event names an object this warehouse cannot get: nothing of it is stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _stripe_created(payload: dict) -> datetime:
    return datetime.fromtimestamp(int(payload.get("created") or 0), tz=UTC)


def store_event(
    payload: dict, source: str, *, enqueued: bool = False
) -> tuple[StripeEventReceipt, bool]:
    """Keep a Stripe event (a verified webhook body or an entry of the event log); returns
    (receipt, created). An event already stored is left as it is."""
    now = timezone.now()
    return StripeEventReceipt.objects.get_or_create(
        event_id=payload["id"],
        defaults={
            "event_type": str(payload.get("type", ""))[:250],
            "livemode": bool(payload.get("livemode")),
            "stripe_created": _stripe_created(payload),
            "payload": payload,
            "source": source,
            "received_at": now,
            "enqueued_at": now if enqueued else None,
        },
    )


def api_key_for(payload: dict) -> str:
    return djstripe_settings.get_default_api_key(livemode=bool(payload.get("livemode")))


def mode_or_account_mismatch(payload: dict) -> str | None:
    """Why this event cannot belong to this warehouse, or None."""
    event_mode = "live" if payload.get("livemode") else "test"
    configured = "live" if settings.STRIPE_LIVE_MODE else "test"
    if event_mode != configured:
        return (
            f"mode mismatch: a {event_mode}-mode event, but this warehouse runs in "
            f"{configured} mode (STRIPE_LIVE_MODE={settings.STRIPE_LIVE_MODE})"
        )
    if not api_key_for(payload):
        return f"mode mismatch: no Stripe secret key configured for {event_mode} mode"
    account = payload.get("account")
    if account and not djstripe_models.Account.objects.filter(id=account).exists():
        return f"account mismatch: an event of connected account {account}, unknown here"
    return None


def _named_object(payload: dict) -> tuple[str, str]:
    obj = (payload.get("data") or {}).get("object") or {}
    return str(obj.get("object") or ""), str(obj.get("id") or "")


def _absent_reason(payload: dict, error: stripe.InvalidRequestError | None = None) -> str:
    name, object_id = _named_object(payload)
    model = SYNCED_OBJECTS.get(name)
    if error is None and model is not None:
        try:
            model(id=object_id).api_retrieve(api_key=api_key_for(payload))
        except stripe.InvalidRequestError as exc:
            error = exc
    if error is None:
        return f"{name} {object_id} was not synced by the {payload.get('type')} handler"
    status = getattr(error, "http_status", None) or "?"
    code = getattr(error, "code", None) or "error"
    message = getattr(error, "user_message", None) or str(error)
    return (
        f"{name or 'object'} {object_id} cannot be retrieved from Stripe (HTTP {status} "
        f"{code}: {message}); deleted, or the configured key is another account's or mode's"
    )


def _ensure_object_synced(payload: dict) -> None:
    event_type = str(payload.get("type", ""))
    name, object_id = _named_object(payload)
    model = SYNCED_OBJECTS.get(name)
    if model is None or not object_id:
        return
    if event_type.endswith(".deleted") or event_type in _NO_ROW_EXPECTED:
        return
    signal = djstripe_signals.WEBHOOK_SIGNALS.get(event_type)
    if signal is None or not signal.has_listeners(djstripe_models.Event):
        return  # no handler syncs this type: nothing was expected to be stored
    if not model.objects.filter(id=object_id).exists():
        raise EventUnresolved(_absent_reason(payload))


def transient_trigger(payload: dict) -> djstripe_models.WebhookEventTrigger:
    """An unsaved WebhookEventTrigger carrying the event, for the receivers of dj-stripe's
    webhook_pre_process / webhook_post_process when the event did not come by webhook."""
    return djstripe_models.WebhookEventTrigger(
        body=json.dumps(payload), valid=True, headers={}, remote_ip="127.0.0.1"
    )


def _count_attempt(event_id: str) -> None:
    StripeEventReceipt.objects.filter(event_id=event_id).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now()
    )


def process_event(
    event_id: str,
    *,
    trigger: djstripe_models.WebhookEventTrigger | None = None,
    api_key: str | None = None,
) -> str:
    """Process a stored event once; returns its status (processed or unresolved).

    Raises what processing raises (Stripe unreachable, a bug), with nothing of the event
    stored; callers record the failure (`process_event_recording_failure`, or the webhook's
    processing-error receiver). dj-stripe's webhook_pre_process / webhook_post_process are
    sent with `trigger` (the webhook's, or an unsaved one carrying the event) inside the
    event's savepoint, so what their receivers write rolls back with an unresolved event.
    """
    # Counted in its own statement (autocommit outside the webhook): a worker killed
    # mid-event leaves the attempt visible.
    _count_attempt(event_id)
    with transaction.atomic():
        receipt = StripeEventReceipt.objects.select_for_update().get(event_id=event_id)
        if receipt.status == Status.PROCESSED:
            return Status.PROCESSED
        payload = receipt.payload
        api_key = api_key or api_key_for(payload)
        trigger = trigger or transient_trigger(payload)
        reason = mode_or_account_mismatch(payload)
        if reason:
            logger.error(
                "Stripe event %s (%s) left unresolved: %s", event_id, receipt.event_type, reason
            )
        else:
            reason = _process_in_savepoint(payload, trigger, api_key)
            if reason:
                logger.warning(
                    "Stripe event %s (%s) left unresolved: %s",
                    event_id,
                    receipt.event_type,
                    reason,
                )
        receipt.status = Status.UNRESOLVED if reason else Status.PROCESSED
        receipt.reason = reason or ""
        receipt.processed_at = None if reason else timezone.now()
        receipt.save(update_fields=["status", "reason", "processed_at"])
        return receipt.status


def _process_in_savepoint(payload, trigger, api_key) -> str | None:
    """dj-stripe's processing of the event; the reason it is unresolved, or None."""
    already_processed = djstripe_models.Event.objects.filter(id=payload["id"]).exists()
    try:
        with transaction.atomic():
            djstripe_signals.webhook_pre_process.send(
                sender=djstripe_models.WebhookEventTrigger, instance=trigger
            )
            trigger.event = djstripe_models.Event.process(payload, api_key=api_key)
            # post-process first: its receivers may complete the sync (the warehouse's flush
            # retrieves a refund event's refund there); an unresolved event rolls them back
            djstripe_signals.webhook_post_process.send(
                sender=djstripe_models.WebhookEventTrigger, instance=trigger, api_key=api_key
            )
            if not already_processed:
                _ensure_object_synced(payload)
    except EventUnresolved as exc:
        trigger.event = None
        return exc.reason
    except stripe.InvalidRequestError as exc:
        if not object_is_absent(exc):
            raise
        trigger.event = None
        return _absent_reason(payload, exc)
    return None


def record_failure(event_id: str, error: BaseException) -> None:
    """Mark a stored event failed with the error (after its transaction rolled back)."""
    StripeEventReceipt.objects.filter(event_id=event_id).exclude(status=Status.PROCESSED).update(
        status=Status.FAILED, reason=f"{type(error).__name__}: {error}"[:2000]
    )


def process_event_recording_failure(event_id: str) -> str:
    """process_event for the worker, the catch-up and the retries: a failure is recorded on
    the receipt, then re-raised."""
    try:
        return process_event(event_id)
    except Exception as exc:
        logger.exception("Stripe event %s failed", event_id)
        record_failure(event_id, exc)
        raise
