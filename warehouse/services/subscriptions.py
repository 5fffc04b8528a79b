"""Subscriptions and MRR into the warehouse: dim_product, dim_price, dim_coupon,
fact_invoice_line, fact_mrr_change, fact_mrr_movement and the MRR marts (customer months,
cohorts; movements per day and per month, mart_mrr_day and mart_mrr_month_movement, and MRR
by price per day and per month, mart_mrr_price_day and mart_mrr_price_month, which
fact_mrr_movement.sql and fact_mrr_change.sql keep themselves as deltas of the customers'
rows).

Receivers record the kinds below in the transaction's change set; the flush runs
`complete_upstream` (before the payments facts) and `write_subscriptions` (after them, as
invoice lines settle at their charges' balance transactions).

Every writer runs the same set-based `.sql` files (warehouse/sql/facts, warehouse/sql/marts)
as `rebuild_warehouse`, scoped to a few customers, so the write path and the rebuild cannot
drift apart. A customer's facts are recomputed from their whole history (invoices,
subscriptions), so running a writer twice, or for events out of order, leaves the same rows.
Definitions: docs/metrics.md ("Recurring revenue").
"""

import logging
from collections.abc import Iterable

import stripe
from django.conf import settings
from django.db import connection, transaction

from warehouse.calendar import reporting_time_zone_name
from warehouse.services import change_set as changes
from warehouse.services.marts import channel_mrr_calls_of_moved, refresh_marts
from warehouse.sql_files import Carried, Conditional, execute, execute_all, fetch

logger = logging.getLogger(__name__)

# change set kinds: dj-stripe objects saved, and upstream work
PRODUCT = "product"
PRICE = "price"
COUPON = "coupon"
INVOICE = "invoice"
SUBSCRIPTION_CUSTOMER = "subscription_customer"  # customers whose subscriptions or invoices changed
SUBSCRIPTION = "subscription"  # subscriptions saved (their state moves MRR without any line)
# invoices whose lines to parse again although dj-stripe did not save them (an invoice item,
# which stg_stripe__invoice_lines reads for a folded proration discount, changed)
INVOICE_LINES_STALE = "invoice_lines_stale"
RETRIEVE_PRICE = "retrieve_price"  # prices (or plans) to retrieve from Stripe and sync

# the customers whose movements facts/fact_mrr_movement.sql wrote or deleted in the transaction
MOVED_CUSTOMERS = Carried("stripe_dwh.mrr_moved_customer_ids", "text[]")

# When the delta refresh's large statements have work, tested in its round trip once the
# statements before them ran (facts/mrr_refresh_due.sql sets the first two, then each
# statement the next one's): the invoice copies are stale; the lines may change (the store
# changed a copy, or facts/mrr_refresh_due.sql says so); a line changed; a change moved
# (its months were written or deleted).
COPIES_STALE = "current_setting('stripe_dwh.mrr_copies_stale', true) = 'true'"
LINES_MAY_CHANGE = (
    "(coalesce(current_setting('stripe_dwh.mrr_changed_invoices', true), '') not in ('', '0')"
    " or current_setting('stripe_dwh.mrr_lines_may_change', true) = 'true')"
)
LINES_CHANGED = (
    "coalesce(current_setting('stripe_dwh.mrr_changed_lines', true), '') not in ('', '0')"
)
CHANGES_MOVED = "coalesce(current_setting('stripe_dwh.mrr_changed_change_months', true), '') <> ''"

# Exclusive lock (two-int key space) taken by the full recompute of the MRR marts; the
# per-customer refreshes take it shared, and one lock per customer (hashtext) exclusively.
MRR_LOCK = (20260, 13)


def _ids(values: Iterable[str | None] | None) -> list[str]:
    return sorted(set(filter(None, values or ())))


def _scope(customer_ids: list[str] | None) -> dict:
    return {
        "all_customers": customer_ids is None,
        "customer_ids": customer_ids or [],
        "time_zone": reporting_time_zone_name(),
        "grace_days": settings.MRR_PAST_DUE_GRACE_DAYS,
    }


@transaction.atomic
def record_catalogue(
    product_ids: Iterable[str] = (),
    price_ids: Iterable[str] = (),
    coupon_ids: Iterable[str] = (),
) -> None:
    """Upsert dim_product, dim_price and dim_coupon rows; a price that arrives after invoice
    lines naming it makes those customers' MRR count it (refreshes them)."""
    for statement, ids in (
        ("facts/dim_product", _ids(product_ids)),
        ("facts/dim_price", _ids(price_ids)),
        ("facts/dim_coupon", _ids(coupon_ids)),
    ):
        if ids:
            execute(statement, {"all_rows": False, "ids": ids}, prepared=True)
    prices = _ids(price_ids)
    if prices:
        waiting = [
            row[0]
            for row in fetch(
                "facts/fact_invoice_line_customers", {"price_ids": prices}, prepared=True
            )
        ]
        refresh_subscription_facts(waiting)


def complete_upstream(change_set: changes.ChangeSet) -> None:
    """The prices of plan events, before the payments steps. What dj-stripe leaves out of the
    flush's invoices is looked up later, in the subscriptions step's round trip
    (`write_subscriptions`, `_complete_invoice_gaps`)."""
    from djstripe.models import Price

    # plan events: dj-stripe ignores them, so the price is re-read even when it is known
    # (a plan.updated renames it)
    plan_prices = change_set.take(RETRIEVE_PRICE)
    for price_id in plan_prices:
        _retrieve_and_sync(Price, price_id, change_set.api_key or None)


def _complete_invoice_gaps(change_set: changes.ChangeSet, gaps: list[tuple[str, str]]) -> None:
    """Fetch what dj-stripe left out of the flush's invoices (facts/invoice_upstream_gaps.sql):
    the prices that invoice lines name but dj-stripe has not synced (basil lines name the
    price by id only), the charges that paid the invoices (their balance transactions convert
    MRR), and a payment intent's succeeded charge (the payments upstream step retrieves it)."""
    from djstripe.models import Charge, Price

    found = {"price": set(), "charge": set(), "payment_intent": set()}
    for kind, stripe_id in gaps:
        found[kind].add(stripe_id)
    if not change_set.api_key:
        # the invoices' account key, for these calls and the payments upstream step's
        change_set.api_key = _api_key_of_invoices(change_set[INVOICE])
    api_key = change_set.api_key or None
    for price_id in sorted(found["price"]):
        _retrieve_and_sync(Price, price_id, api_key)
    for charge_id in sorted(found["charge"]):
        _retrieve_and_sync(Charge, charge_id, api_key)
    if found["payment_intent"]:
        changes.record(changes.RETRIEVE_LATEST_CHARGE, sorted(found["payment_intent"]))


def _api_key_of_invoices(invoice_ids: list[str]) -> str | None:
    from djstripe.models import Invoice

    invoice = Invoice.objects.filter(id__in=invoice_ids).order_by("id").first()
    return invoice.default_api_key if invoice else None


def _retrieve_and_sync(model, object_id: str, api_key: str | None) -> None:
    try:
        kwargs = {"api_key": api_key} if api_key else {}
        data = model(id=object_id).api_retrieve(**kwargs)
    except stripe.InvalidRequestError as exc:
        if getattr(exc, "code", None) == "resource_missing" or "No such " in str(exc):
            logger.warning("Skipping %s %s: gone from Stripe", model.__name__, object_id)
            return
        raise
    model.sync_from_stripe_data(data, **({"api_key": api_key} if api_key else {}))


def write_subscriptions(change_set: changes.ChangeSet) -> None:
    """The flush's subscriptions step: the catalogue, then the MRR facts and marts of the
    customers whose subscriptions, invoices or charges changed.

    One round trip in the common case: the MRR batch, then (when the marts step would have
    nothing else to do) MRR by channel's delta, and last the look-up of what dj-stripe left
    out of the flush's invoices. That look-up rarely finds anything (a price or charge that
    dj-stripe has not synced); when it does, what it names is synced, the payments steps run
    again for it, and the customers' MRR is recomputed (the refresh recomputes a customer
    from their whole history, so the first pass leaves nothing behind)."""
    catalogue = change_set[PRODUCT], change_set[PRICE], change_set[COUPON]
    if any(catalogue):  # its atomic block costs a savepoint round trip even when idle
        record_catalogue(*catalogue)
    invoice_ids = change_set[INVOICE]
    gaps = _refresh_flush_customers(change_set, look_up_gaps=bool(invoice_ids), lines_due=False)
    if gaps:
        from warehouse.services import payments

        _complete_invoice_gaps(change_set, gaps)
        payments.complete_upstream(change_set)
        payments.write_payments(change_set)
        if any(change_set[kind] for kind in (PRODUCT, PRICE, COUPON)):
            record_catalogue(change_set[PRODUCT], change_set[PRICE], change_set[COUPON])
        # what the look-up synced (prices, charges) is read by lines whose copy is unchanged
        _refresh_flush_customers(change_set, look_up_gaps=False, lines_due=True)


def _refresh_flush_customers(
    change_set: changes.ChangeSet, *, look_up_gaps: bool, lines_due: bool
) -> list[tuple[str, str]]:
    """The MRR refresh of the change set's customers; returns the invoice gaps (none unless
    `look_up_gaps`). Their invoice lines are recomputed when a copy of their invoices changed,
    when a charge or balance transaction of theirs changed, or with `lines_due`."""
    # an invoice's customer is recorded with it (receivers.invoice_saved)
    customers = set(change_set[SUBSCRIPTION_CUSTOMER])
    # a charge (or its balance transaction) settles an invoice's lines
    charge_customers = change_set[changes.CUSTOMER_FACTS]
    if charge_customers:
        customers |= {
            customer_id
            for customer_id, has_subscription_invoices in fetch(
                "facts/invoice_line_customers", {"customer_ids": charge_customers}, prepared=True
            )
            if has_subscription_invoices
        }
    ids = _ids(customers)
    gaps_call = (
        ("facts/invoice_upstream_gaps", {"invoice_ids": change_set[INVOICE]})
        if look_up_gaps
        else None
    )
    if not ids:
        return fetch(*gaps_call, prepared=True) if gaps_call else []
    # MRR by channel in this round trip when the marts step has nothing else to do (else
    # there, which takes every lock of its marts in one order)
    channel_now = not any(
        change_set[kind]
        for kind in (changes.CUSTOMER_FACTS, changes.FUNNEL_CUSTOMERS, changes.CUSTOMER)
    )
    then = channel_mrr_calls_of_moved(ids, MOVED_CUSTOMERS) if channel_now else []
    if not channel_now:
        changes.record(changes.MRR_CUSTOMERS, ids)
    return _refresh_subscription_facts(
        ids,
        # a saved invoice is parsed when its JSON changed (facts/mrr_refresh_due.sql)
        _ids(change_set[INVOICE_LINES_STALE]),
        bool(change_set[SUBSCRIPTION]),
        # a charge settles (or re-rates) lines whose invoice copy did not change
        lines_due=lines_due or bool(charge_customers),
        then=then,
        answer=gaps_call,
    )


def refresh_subscription_facts(
    customer_ids: Iterable[str] | None,
    *,
    invoice_ids: Iterable[str] = (),
    subscriptions_changed: bool = True,
) -> None:
    """Recompute fact_invoice_line, fact_mrr_change, fact_mrr_movement and the MRR marts for
    these customers (None: everyone, the full-refresh form). Delta form: the customers'
    invoices whose parsed copy (int_invoice, int_invoice_line) is stale are parsed again,
    with `invoice_ids` (saved in the transaction) whatever their copy; fact_mrr_change is
    recomputed when a line changed or, with `subscriptions_changed` (False: the caller knows
    no subscription of theirs was saved in the transaction), when a subscription's state
    differs from the one the changes were computed from (int_subscription_state); the day
    and month marts of movements and of MRR by price take the customers' deltas, and the
    cohort mart is recomputed for the cohorts of the rows that the refresh wrote or deleted
    (before and after), all in one round trip."""
    ids = None if customer_ids is None else _ids(customer_ids)
    if ids is not None and not ids:
        return  # before the atomic block: a charge-only flush runs no savepoint for nothing
    _refresh_subscription_facts(ids, _ids(invoice_ids), subscriptions_changed, lines_due=True)
    # MRR by channel (warehouse.services.marts): in full now, or in the change set's marts
    # step, which takes every lock of the flush's marts in one order
    if ids is None:
        refresh_marts({changes.MRR_CUSTOMERS: None})
    else:
        changes.record(changes.MRR_CUSTOMERS, ids)


# no savepoint: nothing catches its errors, the caller's transaction rolls back (a savepoint
# pair is two round trips per subscription event)
@transaction.atomic(savepoint=False)
def _refresh_subscription_facts(
    ids: list[str] | None,
    invoice_ids: list[str],
    subscriptions_changed: bool,
    *,
    lines_due: bool,
    then: list[tuple] = (),
    answer: tuple | None = None,
) -> list[tuple]:
    """`lines_due`: recompute the customers' invoice lines even if no copy of their invoices
    changed (a charge, balance transaction or price they read changed); `then`: statements
    run after the MRR marts, when an MRR change moved; `answer`: the last one, whose rows are
    returned."""
    if ids is None:
        _refresh_all_subscription_facts()
        return []
    scope = _scope(ids)

    def when(condition: str | None, name: str, params: dict) -> tuple | Conditional:
        return (name, params) if condition is None else Conditional(name, params, condition)

    # The delta form, in one round trip, run in order: the locks and planner settings, what
    # has work, the facts, then the marts. Each large statement runs only when it has work
    # (Conditional): one without work would read its customers and write nothing, yet pay its
    # plan's executor start-up, 0.4-0.8 ms each after dj-stripe's own work (docs/benchmarks.md,
    # "Session of 2026-12-01 (2)"), and most subscription events (renewals, updates that
    # change no state) move nothing. The delta statements run prepared: their generic plans
    # reach the customers' rows by index (EXPLAIN-checked, docs/benchmarks.md "MRR flush per
    # customer"), and fact_invoice_line costs more to plan than to run. fact_mrr_change and
    # fact_mrr_movement add the customers' deltas to the day and month marts (computed now
    # minus stored before: no month is read whole); the cohort mart recomputes the cohorts
    # whose rows mart_mrr_customer_month wrote or deleted, which it sets for the transaction
    # (stripe_dwh.mrr_changed_cohorts).
    calls = [
        (
            "facts/mrr_refresh_lock",
            {
                "mrr_lock_namespace": MRR_LOCK[0],
                "mrr_lock_key": MRR_LOCK[1],
                "customer_ids": ids,
            },
        ),
        ("facts/dim_customer_invoice_stubs", scope),
        ("facts/mrr_refresh_due", {"customer_ids": ids}),
        # invoices whose invoice items changed are parsed whatever their copy
        when(
            None if invoice_ids else COPIES_STALE,
            "facts/invoice_line_store",
            {"all_customers": False, "customer_ids": ids, "invoice_ids": invoice_ids},
        ),
        when(None if lines_due else LINES_MAY_CHANGE, "facts/fact_invoice_line", scope),
        # a saved subscription: fact_mrr_change compares its state with the one the changes
        # were computed from (int_subscription_state)
        when(
            None if subscriptions_changed else LINES_CHANGED,
            "facts/fact_mrr_change",
            {**scope, "subscriptions_changed": subscriptions_changed},
        ),
        when(CHANGES_MOVED, "facts/fact_mrr_movement", scope),
        when(CHANGES_MOVED, "marts/mart_mrr_customer_month", scope),
        when(CHANGES_MOVED, "marts/mart_mrr_cohort", {"all_cohorts": False, "cohorts": []}),
        *(when(CHANGES_MOVED, name, params) for name, params in then),
    ]
    if answer is None:
        execute_all(calls, prepared=True)
        return []
    return fetch(*answer, before=calls, prepared=True)


def _refresh_all_subscription_facts() -> None:
    """The full form: every customer, planned for all rows (not prepared)."""
    scope = _scope(None)
    with connection.cursor() as cursor:
        # The staging views unnest invoice JSON, which the planner guesses at 100 lines per
        # invoice: a few thousand lines look like millions, and PostgreSQL would spend seconds
        # JIT-compiling statements that run in milliseconds (docs/benchmarks.md).
        cursor.execute("set local jit = off; select pg_advisory_xact_lock(%s, %s)", MRR_LOCK)
    # One statement per round trip (a handful, each over every row): the rebuild reports
    # each one's time (warehouse.services.rebuild)
    for name, params in (
        ("facts/dim_customer_invoice_stubs", scope),
        # every invoice parsed again: the full form trusts no stored copy
        (
            "facts/invoice_line_store",
            {"all_customers": True, "customer_ids": [], "invoice_ids": []},
        ),
        ("facts/fact_invoice_line", scope),
        # the full forms of fact_mrr_change and fact_mrr_movement refill the day and month
        # marts they keep
        ("mrr_day_clear", {}),
        ("facts/fact_mrr_change", {**scope, "subscriptions_changed": True}),
        ("facts/fact_mrr_movement", scope),
        ("marts/mart_mrr_customer_month", scope),
        ("marts/mart_mrr_cohort", {"all_cohorts": True, "cohorts": []}),
    ):
        execute(name, params)


@transaction.atomic
def rebuild_subscriptions() -> dict[str, int]:
    """Full refresh: every dimension, fact and mart of this module, from dj-stripe's tables."""
    written = {}
    for label, statement in (
        ("products", "facts/dim_product"),
        ("prices", "facts/dim_price"),
        ("coupons", "facts/dim_coupon"),
    ):
        written[label] = execute(statement, {"all_rows": True, "ids": []})
    refresh_subscription_facts(None)
    return written
