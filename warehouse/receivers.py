"""Signal receivers that keep the warehouse current. Thin: unpack the signal, call a service.

Two kinds:
- post_save of dj-stripe's models, so every sync path (webhooks, `djstripe_sync_models`,
  manual `sync_from_stripe_data`) fills the warehouse;
- dj-stripe's per-event-type webhook signals, for the events whose object dj-stripe does
  not sync by itself (refund events, a payment intent's latest charge, the refunds of a
  refunded charge under API versions that no longer embed them in the charge).

All of them run inside dj-stripe's webhook transaction, so a failure here rolls back
dj-stripe's rows too and the webhook answers 500 (Stripe retries).
"""

import logging

import stripe
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from djstripe import models as djstripe_models
from djstripe import signals as djstripe_signals
from djstripe.settings import djstripe_settings

from warehouse import services
from warehouse.services import subscriptions
from warehouse.services.payments import stripe_id_of

logger = logging.getLogger(__name__)


# --- dj-stripe model saves ---------------------------------------------------------------


@receiver(post_save, sender=djstripe_models.Customer, dispatch_uid="warehouse_customer")
def customer_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_customers([instance.id])


@receiver(post_save, sender=djstripe_models.PaymentMethod, dispatch_uid="warehouse_payment_method")
def payment_method_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_payment_methods([instance.id])


@receiver(post_save, sender=djstripe_models.Charge, dispatch_uid="warehouse_charge")
def charge_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_charges([instance.id])
        # an invoice's charge settles its lines' MRR at its balance transaction's rate
        subscriptions.refresh_customers_with_lines([instance.customer_id])


# --- subscriptions: the catalogue, subscriptions and invoices -------------------------------


@receiver(post_save, sender=djstripe_models.Product, dispatch_uid="warehouse_product")
def product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        subscriptions.record_catalogue(product_ids=[instance.id])


@receiver(post_save, sender=djstripe_models.Price, dispatch_uid="warehouse_price")
def price_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        subscriptions.record_catalogue(price_ids=[instance.id])


@receiver(post_save, sender=djstripe_models.Coupon, dispatch_uid="warehouse_coupon")
def coupon_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        subscriptions.record_catalogue(coupon_ids=[instance.id])


@receiver(post_save, sender=djstripe_models.Subscription, dispatch_uid="warehouse_subscription")
def subscription_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        subscriptions.refresh_subscription_facts(
            [instance.customer_id, *subscriptions.customers_of(subscription_ids=[instance.id])]
        )


@receiver(post_save, sender=djstripe_models.Invoice, dispatch_uid="warehouse_invoice")
def invoice_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        subscriptions.refresh_subscription_facts(
            [instance.customer_id, *subscriptions.customers_of(invoice_ids=[instance.id])]
        )


@receiver(post_delete, sender=djstripe_models.Invoice, dispatch_uid="warehouse_invoice_deleted")
def invoice_deleted(sender, instance, **kwargs):
    """A deleted draft invoice takes its lines (and the MRR they carried) with it."""
    subscriptions.refresh_customers_with_lines([instance.customer_id])


@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.created"], dispatch_uid="wh_plan_created")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.updated"], dispatch_uid="wh_plan_updated")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.deleted"], dispatch_uid="wh_plan_deleted")
def plan_event(sender, event, **kwargs):
    """dj-stripe 2.11 has no Plan model and ignores plan events; a plan is also a price with
    the same id, so sync that price."""
    data = _event_object(event)
    if data.get("object") == "plan" and data.get("id"):
        _sync_from_api(djstripe_models.Price, data["id"], event)


@receiver(post_save, sender=djstripe_models.Refund, dispatch_uid="warehouse_refund")
def refund_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_refunds([instance.id])


@receiver(post_save, sender=djstripe_models.Dispute, dispatch_uid="warehouse_dispute")
def dispute_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_disputes([instance.id])


@receiver(
    post_save,
    sender=djstripe_models.BalanceTransaction,
    dispatch_uid="warehouse_balance_transaction",
)
def balance_transaction_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        services.record_balance_transaction_source(instance.source)


@receiver(post_save, sender=djstripe_models.PaymentIntent, dispatch_uid="warehouse_payment_intent")
def payment_intent_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    charge_id = latest_charge_id(instance.stripe_data)
    if charge_id and djstripe_models.Charge.objects.filter(id=charge_id).exists():
        services.record_charges([charge_id])


def latest_charge_id(payment_intent_data: dict) -> str | None:
    """`latest_charge` (API 2022-11-15+), else the first of the older embedded `charges` list."""
    charge_id = stripe_id_of(payment_intent_data.get("latest_charge"))
    if charge_id:
        return charge_id
    charges = (payment_intent_data.get("charges") or {}).get("data") or []
    return stripe_id_of(charges[0]) if charges else None


# --- webhook events dj-stripe does not sync the warehouse's object for ---------------------


def _event_object(event) -> dict:
    return (event.data or {}).get("object") or {}


@receiver(djstripe_signals.WEBHOOK_SIGNALS["charge.refund.updated"], dispatch_uid="wh_refund_upd")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.created"], dispatch_uid="wh_refund_created")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.updated"], dispatch_uid="wh_refund_updated")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.failed"], dispatch_uid="wh_refund_failed")
def refund_event(sender, event, **kwargs):
    data = _event_object(event)
    if data.get("object") == "refund" and data.get("id"):
        _sync_from_api(djstripe_models.Refund, data["id"], event)


@receiver(djstripe_signals.WEBHOOK_SIGNALS["charge.refunded"], dispatch_uid="wh_charge_refunded")
def charge_refunded_event(sender, event, **kwargs):
    data = _event_object(event)
    if data.get("object") != "charge" or not data.get("id"):
        return
    refunds = stripe.Refund.list(
        charge=data["id"],
        api_key=event.default_api_key,
        stripe_version=djstripe_settings.STRIPE_API_VERSION,
    )
    for refund_data in refunds.auto_paging_iter():
        djstripe_models.Refund.sync_from_stripe_data(refund_data, api_key=event.default_api_key)


@receiver(djstripe_signals.WEBHOOK_SIGNALS["payment_intent.succeeded"], dispatch_uid="wh_pi_ok")
@receiver(
    djstripe_signals.WEBHOOK_SIGNALS["payment_intent.payment_failed"], dispatch_uid="wh_pi_ko"
)
def payment_intent_settled_event(sender, event, **kwargs):
    intent = djstripe_models.PaymentIntent.objects.filter(id=_event_object(event).get("id")).first()
    charge_id = latest_charge_id(intent.stripe_data if intent else _event_object(event))
    if charge_id:
        _sync_from_api(djstripe_models.Charge, charge_id, event)


def _sync_from_api(model, object_id: str, event) -> None:
    """Re-retrieve an object (events may carry stale data) and sync it through dj-stripe."""
    try:
        data = model(id=object_id).api_retrieve(api_key=event.default_api_key)
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", None) == "resource_missing" or "No such " in str(exc):
            logger.warning(
                "Skipping %s %s for event %s: gone from Stripe", model.__name__, object_id, event.id
            )
            return
        raise
    model.sync_from_stripe_data(data, api_key=event.default_api_key)


# --- webhook validation: only Stripe events are accepted -----------------------------------


@receiver(djstripe_signals.webhook_post_validate, dispatch_uid="warehouse_event_shape")
def reject_non_events(sender, instance, valid, **kwargs):
    """A correctly signed body that is not a Stripe event gets a 400 instead of a 500.

    dj-stripe only checks for `id` and `livemode`; anything else would then fail inside
    Event.process. Marking the trigger invalid makes dj-stripe answer 400 and store nothing.
    """
    if valid and not is_stripe_event(instance.json_body):
        logger.warning("Webhook %s: signed body is not a Stripe event", instance.id)
        instance.valid = False


def is_stripe_event(body) -> bool:
    if not isinstance(body, dict):
        return False
    data = body.get("data")
    return (
        body.get("object") == "event"
        and isinstance(body.get("id"), str)
        and body["id"].startswith("evt_")
        and isinstance(body.get("type"), str)
        and bool(body["type"])
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    )
