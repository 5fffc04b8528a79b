"""Payments into the warehouse: dim_customer, dim_payment_method, fact_transaction.

Every writer runs the same set-based `.sql` upserts as `rebuild_warehouse`, scoped to a
few Stripe ids, so the signal path and the rebuild cannot drift apart. Each reads the
current state of dj-stripe's tables (which dj-stripe re-retrieves from Stripe for every
event), so running a writer twice, or for events out of order, leaves the same rows.

The only Stripe API calls made here retrieve balance transactions that dj-stripe names
by id but has not synced (refunds and disputes): they carry the settlement amount, fee
and net of the movement in the account's currency.
"""

import datetime as dt
import logging
from collections.abc import Iterable

import stripe
from django.db import transaction

from warehouse.calendar import reporting_day
from warehouse.services._payments_scope import scope
from warehouse.services.customer_months import refresh_customer_months
from warehouse.services.dim_date import ensure_dim_dates
from warehouse.sql_files import execute, fetch

logger = logging.getLogger(__name__)


def stripe_id_of(value) -> str | None:
    """The id of an expandable Stripe field: "txn_1" or {"id": "txn_1", ...} or None."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


# --- dimensions ------------------------------------------------------------------------


@transaction.atomic
def record_customers(customer_ids: Iterable[str]) -> None:
    """Upsert dim_customer rows from dj-stripe's customers (and their payment times)."""
    ids = sorted(set(filter(None, customer_ids)))
    if not ids:
        return
    execute("dim_customer_upsert", scope(ids))
    execute("dim_customer_payment_times_update", {"all_rows": False, "customer_ids": ids})


@transaction.atomic
def record_payment_methods(payment_method_ids: Iterable[str]) -> None:
    """Upsert dim_payment_method rows from dj-stripe's payment methods."""
    ids = sorted(set(filter(None, payment_method_ids)))
    if not ids:
        return
    execute("dim_payment_method_upsert", scope(ids))
    customer_ids = [row[0] for row in fetch("dim_payment_method_customers", {"ids": ids})]
    if customer_ids:
        execute("dim_customer_stubs_insert", {"all_rows": False, "customer_ids": customer_ids})


# --- facts -----------------------------------------------------------------------------


@transaction.atomic
def record_charges(charge_ids: Iterable[str]) -> None:
    """Upsert the fact_transaction row of each charge."""
    ids = sorted(set(filter(None, charge_ids)))
    if ids:
        _record_facts("fact_charges_upsert", ids)


@transaction.atomic
def record_refunds(refund_ids: Iterable[str]) -> None:
    """Upsert the fact_transaction row of each refund, settled by its own balance transaction."""
    from djstripe.models import Refund

    ids = sorted(set(filter(None, refund_ids)))
    if not ids:
        return
    for refund in Refund.objects.filter(id__in=ids):
        balance_transaction_id = refund.balance_transaction_id or stripe_id_of(
            refund.stripe_data.get("balance_transaction")
        )
        if balance_transaction_id:
            ensure_balance_transactions([balance_transaction_id], api_key=refund.default_api_key)
    _record_facts("fact_refunds_upsert", ids)


@transaction.atomic
def record_disputes(dispute_ids: Iterable[str]) -> None:
    """Upsert the fact_transaction rows (withdrawn / reinstated) of each dispute."""
    from djstripe.models import BalanceTransaction, Dispute

    ids = sorted(set(filter(None, dispute_ids)))
    if not ids:
        return
    for dispute in Dispute.objects.filter(id__in=ids):
        # dj-stripe syncs these only after the dispute's post_save; the facts need them now.
        for entry in dispute.stripe_data.get("balance_transactions") or []:
            if isinstance(entry, dict) and entry.get("object") == "balance_transaction":
                if not BalanceTransaction.objects.filter(id=entry["id"]).exists():
                    BalanceTransaction.sync_from_stripe_data(entry, api_key=dispute.default_api_key)
            elif isinstance(entry, str):
                ensure_balance_transactions([entry], api_key=dispute.default_api_key)
    _record_facts("fact_disputes_upsert", ids)


def record_balance_transaction_source(source_id: str) -> None:
    """A balance transaction arrived (or changed): refresh the movement it settles."""
    if not source_id:
        return
    if source_id.startswith(("ch_", "py_")):
        record_charges([source_id])
    elif source_id.startswith(("re_", "pyr_")):
        record_refunds([source_id])
    elif source_id.startswith(("dp_", "du_")):
        record_disputes([source_id])


def ensure_balance_transactions(balance_transaction_ids: Iterable[str], *, api_key: str) -> None:
    """Retrieve from Stripe (and sync through dj-stripe) balance transactions not held locally.

    Raises on API failure (the caller's webhook transaction then rolls back and Stripe
    retries), except for one Stripe says does not exist: that movement keeps a NULL settlement.
    """
    from djstripe.models import BalanceTransaction

    wanted = set(filter(None, balance_transaction_ids))
    known = set(BalanceTransaction.objects.filter(id__in=wanted).values_list("id", flat=True))
    for balance_transaction_id in sorted(wanted - known):
        try:
            BalanceTransaction._get_or_retrieve(id=balance_transaction_id, api_key=api_key)
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) != "resource_missing":
                raise
            # Retrying would not bring it back: keep the movement, settlement unknown.
            logger.warning(
                "Balance transaction %s is not retrievable: %s", balance_transaction_id, exc
            )


def _record_facts(statement: str, ids: list[str]) -> None:
    previous_customers = {row[0] for row in fetch("fact_transaction_customers", {"ids": ids})}
    execute(statement, scope(ids))
    rows = fetch("fact_transaction_references", {"ids": ids})
    if not rows and not previous_customers:
        return
    customer_ids = {row[0] for row in rows if row[0]} | previous_customers
    payment_method_ids = sorted({row[1] for row in rows if row[1]})
    if rows:
        _ensure_days(min(row[2] for row in rows), max(row[3] for row in rows))
    if payment_method_ids:
        execute(
            "dim_payment_method_stubs_insert",
            {"all_rows": False, "payment_method_ids": payment_method_ids},
        )
    refresh_customer_facts(customer_ids)


def refresh_customer_facts(customer_ids: Iterable[str] | None) -> None:
    """Stub unknown customers, then recompute their payment times and customer months."""
    if customer_ids is None:
        params = {"all_rows": True, "customer_ids": []}
    else:
        ids = sorted(set(filter(None, customer_ids)))
        if not ids:
            return
        params = {"all_rows": False, "customer_ids": ids}
    execute("dim_customer_stubs_insert", params)
    execute("dim_customer_payment_times_update", params)
    refresh_customer_months(None if customer_ids is None else params["customer_ids"])


def _ensure_days(first: dt.datetime, last: dt.datetime) -> None:
    ensure_dim_dates(reporting_day(first), reporting_day(last))
