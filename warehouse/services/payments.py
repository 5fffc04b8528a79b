"""Payments into the warehouse: the flush steps for dim_customer, dim_payment_method and
fact_transaction, and the upstream completion before them.

Upstream completion is the only place the warehouse calls the Stripe API: it re-retrieves
objects that webhook events name but dj-stripe does not sync (refund events, a payment
intent's latest charge), lists the refunds of a refunded charge (recent API versions no
longer embed them), and retrieves balance transactions that refunds and disputes name by id
only (they carry the settlement amount, fee and net). Whatever it syncs is recorded in the
same change set by the receivers, so the facts step sees it.

The facts step runs the same set-based `.sql` upserts as `rebuild_warehouse`, over the
staging views, scoped to the change set's ids: one statement per table. Each reads the
current state of dj-stripe's tables, so running it twice, or for events out of order,
leaves the same rows.
"""

import logging
from collections.abc import Iterable

import stripe
from django.conf import settings
from djstripe.settings import djstripe_settings

from warehouse.calendar import reporting_time_zone_name
from warehouse.services import change_set as changes
from warehouse.services.locks import stripe_id_of
from warehouse.services.marts import customer_mart_delta_calls
from warehouse.services.subscriptions import SUBSCRIPTION_CUSTOMER
from warehouse.sql_files import Carried, execute_all, fetch

logger = logging.getLogger(__name__)

# Upstream completion may sync objects that name more work (a listed refund's balance
# transaction); a few rounds always suffice, the bound only guards against a loop.
MAX_UPSTREAM_ROUNDS = 5


def latest_charge_id(payment_intent_data: dict) -> str | None:
    """`latest_charge` (API 2022-11-15+), else the first of the older embedded `charges` list."""
    charge_id = stripe_id_of(payment_intent_data.get("latest_charge"))
    if charge_id:
        return charge_id
    charges = (payment_intent_data.get("charges") or {}).get("data") or []
    return stripe_id_of(charges[0]) if charges else None


# --- public helpers: record ids (flushed at the end of the caller's transaction) --------


def record_customers(customer_ids: Iterable[str]) -> None:
    changes.record(changes.CUSTOMER, customer_ids)


def record_payment_methods(payment_method_ids: Iterable[str]) -> None:
    changes.record(changes.PAYMENT_METHOD, payment_method_ids)


def record_charges(charge_ids: Iterable[str]) -> None:
    changes.record(changes.CHARGE, charge_ids)


def record_refunds(refund_ids: Iterable[str]) -> None:
    changes.record(changes.REFUND, refund_ids)


def record_disputes(dispute_ids: Iterable[str]) -> None:
    changes.record(changes.DISPUTE, dispute_ids)


SOURCE_KINDS = {
    ("ch_", "py_"): changes.CHARGE,
    ("re_", "pyr_"): changes.REFUND,
    ("dp_", "du_"): changes.DISPUTE,
}


def record_balance_transaction_source(source_id: str | None) -> None:
    """A balance transaction arrived (or changed): its movement's settlement changed."""
    for prefixes, kind in SOURCE_KINDS.items():
        if source_id and source_id.startswith(prefixes):
            changes.record(kind, [source_id])


# --- step 1: complete upstream ---------------------------------------------------------


def complete_upstream(change_set: changes.ChangeSet) -> None:
    """Fetch from Stripe what dj-stripe left out, until nothing new is named."""
    for _ in range(MAX_UPSTREAM_ROUNDS):
        work = {
            changes.RETRIEVE_LATEST_CHARGE: change_set.take(changes.RETRIEVE_LATEST_CHARGE),
            changes.RETRIEVE_REFUND: change_set.take(changes.RETRIEVE_REFUND),
            changes.LIST_CHARGE_REFUNDS: change_set.take(changes.LIST_CHARGE_REFUNDS),
        }
        if not any(work.values()):
            break
        api_key = change_set.api_key or djstripe_settings.STRIPE_SECRET_KEY
        _retrieve_and_sync("Charge", _latest_charges(work[changes.RETRIEVE_LATEST_CHARGE]), api_key)
        _retrieve_and_sync("Refund", work[changes.RETRIEVE_REFUND], api_key)
        for charge_id in work[changes.LIST_CHARGE_REFUNDS]:
            _sync_refunds_of(charge_id, api_key)
    _retrieve_missing_balance_transactions(change_set)


def _latest_charges(payment_intent_ids: list[str]) -> list[str]:
    """The latest charge of each payment intent, as dj-stripe (just) synced it."""
    from djstripe.models import PaymentIntent

    if not payment_intent_ids:
        return []
    intents = PaymentIntent.objects.filter(id__in=payment_intent_ids)
    return sorted(filter(None, (latest_charge_id(intent.stripe_data) for intent in intents)))


def _retrieve_and_sync(model_name: str, object_ids: list[str], api_key: str) -> None:
    """Re-retrieve objects (events may carry stale data) and sync them through dj-stripe."""
    from djstripe import models as djstripe_models

    model = getattr(djstripe_models, model_name)
    for object_id in object_ids:
        try:
            data = model(id=object_id).api_retrieve(api_key=api_key)
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) == "resource_missing" or "No such " in str(exc):
                logger.warning("Skipping %s %s: gone from Stripe", model_name, object_id)
                continue
            raise
        model.sync_from_stripe_data(data, api_key=api_key)


def _sync_refunds_of(charge_id: str, api_key: str) -> None:
    from djstripe.models import Refund

    refunds = stripe.Refund.list(
        charge=charge_id, api_key=api_key, stripe_version=djstripe_settings.STRIPE_API_VERSION
    )
    for refund_data in refunds.auto_paging_iter():
        Refund.sync_from_stripe_data(refund_data, api_key=api_key)


def _retrieve_missing_balance_transactions(change_set: changes.ChangeSet) -> None:
    """Refunds and disputes of the change set that name a balance transaction dj-stripe lacks.

    Raises on API failure (the transaction then rolls back; a webhook answers 500 and Stripe
    retries), except for one Stripe says does not exist: that movement keeps a NULL settlement.
    """
    from djstripe.models import BalanceTransaction, Dispute, Refund

    wanted: dict[str, str] = {}  # balance transaction id -> api key of its owner
    embedded: list[tuple[dict, str]] = []
    if change_set[changes.REFUND]:
        for refund in Refund.objects.filter(id__in=change_set[changes.REFUND]):
            balance_transaction_id = refund.balance_transaction_id or stripe_id_of(
                refund.stripe_data.get("balance_transaction")
            )
            if balance_transaction_id:
                wanted[balance_transaction_id] = refund.default_api_key
    if change_set[changes.DISPUTE]:
        for dispute in Dispute.objects.filter(id__in=change_set[changes.DISPUTE]):
            for entry in dispute.stripe_data.get("balance_transactions") or []:
                if isinstance(entry, dict) and entry.get("object") == "balance_transaction":
                    embedded.append((entry, dispute.default_api_key))
                    wanted[entry["id"]] = dispute.default_api_key
                elif isinstance(entry, str):
                    wanted[entry] = dispute.default_api_key
    if not wanted:
        return
    known = set(BalanceTransaction.objects.filter(id__in=wanted).values_list("id", flat=True))
    for entry, api_key in embedded:
        if entry["id"] not in known:
            BalanceTransaction.sync_from_stripe_data(entry, api_key=api_key)
            known.add(entry["id"])
    for balance_transaction_id in sorted(set(wanted) - known):
        try:
            BalanceTransaction._get_or_retrieve(
                id=balance_transaction_id, api_key=wanted[balance_transaction_id]
            )
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) != "resource_missing":
                raise
            # Retrying would not bring it back: keep the movement, settlement unknown.
            logger.warning(
                "Balance transaction %s is not retrievable: %s", balance_transaction_id, exc
            )


# --- step 2: facts, dimensions and customer marts, in one round trip ---------------------

# What fact_transaction changed, as its statement leaves it in transaction-local settings for
# the statements sent after it in the same round trip (warehouse/sql_files.py, Carried).
FACT_CUSTOMERS = "stripe_dwh.fact_customer_ids"
FACT_PAYMENT_METHODS = "stripe_dwh.fact_payment_method_ids"
FACT_FIRST_DAY = "stripe_dwh.fact_first_day"
FACT_LAST_DAY = "stripe_dwh.fact_last_day"


def write_payments(change_set: changes.ChangeSet) -> None:
    """fact_transaction, the dimensions it references, and the marts of its customers.

    Tables are written in one fixed order (facts, payment methods, customers, days, then the
    customers' locks and marts) and each statement writes its rows in key order, so concurrent
    flushes lock rows in one order. Foreign keys are checked at commit, so facts may precede
    their dimension rows.

    With charges, refunds or disputes in the change set, everything goes to the server in one
    round trip: the statements after fact_transaction read what it changed (its customers,
    payment methods and days) from the settings it leaves, and the last one answers with its
    customers and which of them have subscription invoices: those go to the subscriptions step
    (a charge may settle invoice lines), all of them to the marts step's channel funnel. The
    customer marts are refreshed here, so the marts step finds no customer_facts left; they
    read only fact_transaction and their own rows, which the subscriptions step does not
    write. A change set without movements (a customer or payment
    method saved) writes only its dimensions.
    """
    charge_ids = change_set[changes.CHARGE]
    refund_ids = change_set[changes.REFUND]
    dispute_ids = change_set[changes.DISPUTE]
    customer_ids = change_set[changes.CUSTOMER]
    payment_method_ids = change_set[changes.PAYMENT_METHOD]
    if not (charge_ids or refund_ids or dispute_ids):
        execute_all(_dimension_calls(customer_ids, payment_method_ids), prepared=True)
        return
    # customers whose marts are due (none before this step, unless another step added some)
    *before, (last, last_params) = movement_flush_calls(
        charge_ids,
        refund_ids,
        dispute_ids,
        customer_ids,
        payment_method_ids,
        change_set.take(changes.CUSTOMER_FACTS),
    )
    fact_customers = fetch(last, last_params, before=before, prepared=True)
    change_set.add(SUBSCRIPTION_CUSTOMER, (row[0] for row in fact_customers if row[1]))
    change_set.add(changes.FUNNEL_CUSTOMERS, (row[0] for row in fact_customers))


def movement_flush_calls(
    charge_ids: list[str],
    refund_ids: list[str],
    dispute_ids: list[str],
    customer_ids: list[str],
    payment_method_ids: list[str],
    due_customer_ids: list[str] = (),
) -> list[tuple[str, dict]]:
    """The (file, params) statements of a flush with movements, in order, for one round trip:
    fact_transaction, the dimensions, the days, the customer marts' locks and deltas, and
    last the look-up of the fact customers with subscription invoices (its answer)."""
    fact_customers = Carried(FACT_CUSTOMERS, "text[]", tuple(due_customer_ids))
    fact_payment_methods = Carried(FACT_PAYMENT_METHODS, "text[]")
    facts = {
        **fact_scope(),
        "charge_ids": charge_ids,
        "refund_ids": refund_ids,
        "dispute_ids": dispute_ids,
        "report_changes": True,
    }
    days = {
        "first_day": Carried(FACT_FIRST_DAY, "date"),
        "last_day": Carried(FACT_LAST_DAY, "date"),
    }
    return [
        ("facts/fact_transaction", facts),
        *_dimension_calls(customer_ids, payment_method_ids, fact_customers, fact_payment_methods),
        ("dim_date_fill", days),
        *customer_mart_delta_calls(fact_customers),
        ("facts/invoice_line_customers", {"customer_ids": fact_customers}),
    ]


def _dimension_calls(
    customer_ids: list[str],
    payment_method_ids: list[str],
    fact_customers: Carried | None = None,
    fact_payment_methods: Carried | None = None,
) -> list[tuple]:
    """dim_payment_method and dim_customer for the saved ids and those the facts reference."""
    calls = []
    if payment_method_ids or fact_payment_methods:
        calls.append(
            (
                "facts/dim_payment_method",
                {
                    **dimension_scope(),
                    "ids": payment_method_ids,
                    "referenced_ids": fact_payment_methods or [],
                },
            )
        )
    if customer_ids or payment_method_ids or fact_customers:
        referenced_payment_methods = payment_method_ids
        if fact_payment_methods:
            referenced_payment_methods = Carried(
                fact_payment_methods.setting, "text[]", tuple(payment_method_ids)
            )
        calls.append(
            (
                "facts/dim_customer",
                {
                    **dimension_scope(),
                    "ids": customer_ids,
                    "referenced_ids": fact_customers or [],
                    "payment_method_ids": referenced_payment_methods,
                },
            )
        )
    return calls


def fact_scope(since=None, until=None) -> dict:
    """Parameters of facts/fact_transaction for a change set (or the rebuild's all_rows)."""
    return {
        "all_rows": False,
        "charge_ids": [],
        "refund_ids": [],
        "dispute_ids": [],
        "since": since,
        "until": until,
        "time_zone": reporting_time_zone_name(),
        "report_changes": False,
    }


def dimension_scope(since=None) -> dict:
    """Parameters of facts/dim_customer and facts/dim_payment_method."""
    return {
        "all_rows": False,
        "ids": [],
        "referenced_ids": [],
        "payment_method_ids": [],
        "since": since,
        "user_id_key": settings.WAREHOUSE_USER_ID_METADATA_KEY,
    }
