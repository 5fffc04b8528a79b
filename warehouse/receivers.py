"""Signal receivers of the warehouse. Thin: they record which Stripe objects changed.

- post_save of dj-stripe's models: `record(kind, id)` into the transaction's change set,
  whatever the path (webhooks, `djstripe_sync_models`, a manual `sync_from_stripe_data`,
  the admin, the demo loader). The change set is flushed once, before the commit.
- dj-stripe's per-event-type webhook signals, for the events whose object dj-stripe does not
  sync by itself: they record upstream work (re-retrieve a refund, a payment intent's latest
  charge; list a refunded charge's refunds), done by the flush's upstream step.
- `webhook_pre_process` locks the event's customer before dj-stripe syncs anything;
  `webhook_post_process` flushes the change set inside dj-stripe's atomic block, so the
  warehouse commits or rolls back with dj-stripe's rows and a failure answers 500.
"""

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from djstripe import models as djstripe_models
from djstripe import signals as djstripe_signals

from warehouse.services import change_set as changes
from warehouse.services import subscriptions
from warehouse.services.locks import lock_event_subjects
from warehouse.services.payments import latest_charge_id, record_balance_transaction_source

logger = logging.getLogger(__name__)

SAVED_KINDS = {
    djstripe_models.Customer: changes.CUSTOMER,
    djstripe_models.PaymentMethod: changes.PAYMENT_METHOD,
    djstripe_models.Charge: changes.CHARGE,
    djstripe_models.Refund: changes.REFUND,
    djstripe_models.Dispute: changes.DISPUTE,
}


# --- dj-stripe model saves ---------------------------------------------------------------


def object_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        changes.record(SAVED_KINDS[sender], [instance.id])


for _model, _kind in SAVED_KINDS.items():
    post_save.connect(object_saved, sender=_model, dispatch_uid=f"warehouse_{_kind}_saved")


@receiver(
    post_save,
    sender=djstripe_models.BalanceTransaction,
    dispatch_uid="warehouse_balance_transaction",
)
def balance_transaction_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        record_balance_transaction_source(instance.source)


@receiver(post_save, sender=djstripe_models.PaymentIntent, dispatch_uid="warehouse_payment_intent")
def payment_intent_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        changes.record(changes.CHARGE, [latest_charge_id(instance.stripe_data)])


# --- subscriptions: the catalogue, subscriptions and invoices -------------------------------

CATALOGUE_KINDS = {
    djstripe_models.Product: subscriptions.PRODUCT,
    djstripe_models.Price: subscriptions.PRICE,
    djstripe_models.Coupon: subscriptions.COUPON,
}


def catalogue_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        changes.record(CATALOGUE_KINDS[sender], [instance.id])


for _model, _kind in CATALOGUE_KINDS.items():
    post_save.connect(catalogue_saved, sender=_model, dispatch_uid=f"warehouse_{_kind}_saved")


@receiver(post_save, sender=djstripe_models.Subscription, dispatch_uid="warehouse_subscription")
def subscription_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        changes.record_all(
            {
                subscriptions.SUBSCRIPTION_CUSTOMER: [instance.customer_id],
                subscriptions.SUBSCRIPTION: [instance.id],
            }
        )


@receiver(post_save, sender=djstripe_models.Invoice, dispatch_uid="warehouse_invoice")
def invoice_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        # no api_key here: default_api_key reads the account's key (a query per invoice
        # saved); complete_upstream reads it only when it must call Stripe
        changes.record_all(
            {
                subscriptions.INVOICE: [instance.id],
                subscriptions.SUBSCRIPTION_CUSTOMER: [instance.customer_id],
            }
        )


@receiver(post_delete, sender=djstripe_models.Invoice, dispatch_uid="warehouse_invoice_deleted")
def invoice_deleted(sender, instance, **kwargs):
    """A deleted draft invoice takes its lines (and the MRR they carried) with it."""
    changes.record(subscriptions.SUBSCRIPTION_CUSTOMER, [instance.customer_id])


@receiver(post_save, sender=djstripe_models.InvoiceItem, dispatch_uid="warehouse_invoice_item")
@receiver(
    post_delete, sender=djstripe_models.InvoiceItem, dispatch_uid="warehouse_invoice_item_deleted"
)
def invoice_item_changed(sender, instance, raw=False, **kwargs):
    """A proration's invoice item holds the discount Stripe folded into the line's amount
    (stg_stripe__invoice_lines reads it): synced before or after its invoice, its customer's
    MRR is re-read, and its invoice's lines parsed again."""
    if not raw:
        changes.record_all(
            {
                subscriptions.SUBSCRIPTION_CUSTOMER: [instance.customer_id],
                subscriptions.INVOICE_LINES_STALE: [instance.invoice_id],
            }
        )


@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.created"], dispatch_uid="wh_plan_created")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.updated"], dispatch_uid="wh_plan_updated")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["plan.deleted"], dispatch_uid="wh_plan_deleted")
def plan_event(sender, event, **kwargs):
    """dj-stripe 2.11 has no Plan model and ignores plan events; a plan is also a price with
    the same id: the upstream step retrieves and syncs that price."""
    data = _event_object(event)
    if data.get("object") == "plan" and data.get("id"):
        changes.record(subscriptions.RETRIEVE_PRICE, [data["id"]], api_key=event.default_api_key)


# --- webhook processing ------------------------------------------------------------------


@receiver(djstripe_signals.webhook_pre_process, dispatch_uid="warehouse_lock_event_subjects")
def lock_event_customer(sender, instance, **kwargs):
    lock_event_subjects(instance.json_body, api_key=_api_key_of(instance))


@receiver(djstripe_signals.webhook_post_process, dispatch_uid="warehouse_flush_change_set")
def flush_change_set(sender, instance, api_key=None, **kwargs):
    try:
        changes.flush_now()
    except Exception:
        # dj-stripe saves the trigger after rolling back: it must not point at the Event row
        # that the rollback removed, nor claim it was processed.
        instance.event = None
        instance.processed = False
        raise


def _api_key_of(trigger) -> str | None:
    account = trigger.stripe_trigger_account
    return account.default_api_key if account else None


def _event_object(event) -> dict:
    return (event.data or {}).get("object") or {}


@receiver(djstripe_signals.WEBHOOK_SIGNALS["charge.refund.updated"], dispatch_uid="wh_refund_upd")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.created"], dispatch_uid="wh_refund_created")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.updated"], dispatch_uid="wh_refund_updated")
@receiver(djstripe_signals.WEBHOOK_SIGNALS["refund.failed"], dispatch_uid="wh_refund_failed")
def refund_event(sender, event, **kwargs):
    data = _event_object(event)
    if data.get("object") == "refund" and data.get("id"):
        changes.record(changes.RETRIEVE_REFUND, [data["id"]], api_key=event.default_api_key)


@receiver(djstripe_signals.WEBHOOK_SIGNALS["charge.refunded"], dispatch_uid="wh_charge_refunded")
def charge_refunded_event(sender, event, **kwargs):
    data = _event_object(event)
    if data.get("object") == "charge" and data.get("id"):
        changes.record(changes.LIST_CHARGE_REFUNDS, [data["id"]], api_key=event.default_api_key)


@receiver(djstripe_signals.WEBHOOK_SIGNALS["payment_intent.succeeded"], dispatch_uid="wh_pi_ok")
@receiver(
    djstripe_signals.WEBHOOK_SIGNALS["payment_intent.payment_failed"], dispatch_uid="wh_pi_ko"
)
def payment_intent_settled_event(sender, event, **kwargs):
    changes.record(
        changes.RETRIEVE_LATEST_CHARGE,
        [_event_object(event).get("id")],
        api_key=event.default_api_key,
    )


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
