"""Advisory locks that keep concurrent writers of one customer from deadlocking.

A webhook takes a transaction-scoped lock on the customer and the charge its event is about
when dj-stripe starts processing it (`webhook_pre_process`), before dj-stripe's own sync
inserts the customer, charge or balance transaction. Events about one customer then run one
after another; events about different customers run side by side. The marts take the same
per-customer lock (re-entrant within a transaction), so a flush outside a webhook also
excludes the webhooks of the customers it refreshes.
"""

import stripe
from django.db import connection
from djstripe.settings import djstripe_settings

from warehouse.sql_files import execute_with_next_statement, fetch_one

# Two-int advisory key space of the warehouse: (namespace, hashtext(stripe id)).
CUSTOMER_LOCK_NAMESPACE = 20261
# A full recompute empties and refills the shared aggregates: it excludes every per-customer
# refresh (which only add deltas to them and may run side by side).
AGGREGATES_LOCK = (20260, 8)


def stripe_id_of(value) -> str | None:
    """The id of an expandable Stripe field: "txn_1" or {"id": "txn_1", ...} or None."""
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) and value else None


def event_subjects(event: dict) -> tuple[set[str], set[str]]:
    """(customer and charge ids named by an event's object, the charge ids among them)."""
    data = (event.get("data") or {}).get("object") or {}
    kind = data.get("object")
    subjects: set[str] = set()
    charges: set[str] = set()
    if kind == "customer":
        subjects.add(stripe_id_of(data.get("id")))
    else:
        subjects.add(stripe_id_of(data.get("customer")))
    if kind == "charge":
        charges.add(stripe_id_of(data.get("id")))
    else:
        charges.add(stripe_id_of(data.get("charge")))
    if kind == "payment_intent":
        charges.add(stripe_id_of(data.get("latest_charge")))
    charges.discard(None)
    subjects.discard(None)
    return subjects | charges, charges


def lock_event_subjects(event: dict, *, api_key: str | None = None) -> None:
    """Lock the customer and charge an event is about, for the rest of the transaction.

    A refund or dispute names only its charge: its customer is read from dj-stripe's charge,
    or, for a charge dj-stripe does not hold yet, from Stripe (dj-stripe's sync is about to
    retrieve that charge anyway). The lock statement is sent with the next statement of the
    transaction, before it (dj-stripe's look-up of the event, which comes before any of its
    writes): it costs no round trip of its own.
    """
    subjects, charges = event_subjects(event)
    if not subjects:
        return
    data = (event.get("data") or {}).get("object") or {}
    if data.get("object") in ("refund", "dispute") and not stripe_id_of(data.get("customer")):
        subjects |= _customers_of_unknown_charges(charges, api_key)
    params = {
        "lock_namespace": CUSTOMER_LOCK_NAMESPACE,
        "stripe_ids": sorted(subjects),
        "charge_ids": sorted(charges),
    }
    if connection.in_atomic_block:
        execute_with_next_statement("event_subjects_lock", params, prepared=True)
    else:  # autocommit: a lock would end with its own statement (no caller does this)
        fetch_one("event_subjects_lock", params, prepared=True)


def _customers_of_unknown_charges(charge_ids: set[str], api_key: str | None) -> set[str]:
    from djstripe.models import Charge

    known = set(Charge.objects.filter(id__in=charge_ids).values_list("id", flat=True))
    customers = set()
    for charge_id in sorted(charge_ids - known):
        try:
            charge = stripe.Charge.retrieve(
                charge_id,
                api_key=api_key or djstripe_settings.STRIPE_SECRET_KEY,
                stripe_version=djstripe_settings.STRIPE_API_VERSION,
            )
        except stripe.InvalidRequestError:
            continue  # dj-stripe's own sync reports a charge that does not exist
        customers.add(stripe_id_of(charge.get("customer")))
    customers.discard(None)
    return customers


def customers_lock_params(customer_ids: list[str], *, reporting_time_zone: str) -> dict:
    """Parameters of customers_lock.sql: per-customer locks for a refresh of these customers,
    in key order (see module doc), with the transaction's reporting time zone set (one
    statement per flush; the marts send it with their deltas)."""
    return {
        "reporting_time_zone": reporting_time_zone,
        "aggregates_lock_namespace": AGGREGATES_LOCK[0],
        "aggregates_lock_key": AGGREGATES_LOCK[1],
        "lock_namespace": CUSTOMER_LOCK_NAMESPACE,
        "customer_ids": customer_ids,
    }


def lock_all_customers() -> None:
    """The full recompute's exclusive lock on the shared aggregates."""
    with connection.cursor() as cursor:
        cursor.execute("select pg_advisory_xact_lock(%s, %s)", AGGREGATES_LOCK)
