"""The change set: which Stripe objects the current transaction touched, flushed once.

Receivers only call `record(kind, ids)`. The first record of a transaction registers one
flush as a pre-commit callback of the connection (`connection.before_commit`, see
stripe_dwh/postgresql/base.py), so every path that saves dj-stripe objects
(`djstripe_sync_models`, a manual `sync_from_stripe_data`, an admin save, the demo loader)
writes the warehouse once, inside its own transaction, right before it commits. A webhook
flushes earlier, at dj-stripe's `webhook_post_process` signal (still inside dj-stripe's
atomic block), so that a failure is recorded on dj-stripe's trigger like any other. Outside
any transaction (autocommit) the flush runs at once.

A kind is a plain string. Payments use the kinds below; another module adds its own by
recording them and registering a flush step (`register_step`) that reads them.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

logger = logging.getLogger(__name__)

# dj-stripe objects saved (or settled) in this transaction
CUSTOMER = "customer"
PAYMENT_METHOD = "payment_method"
CHARGE = "charge"
REFUND = "refund"
DISPUTE = "dispute"
# work for the upstream step: objects to re-retrieve from Stripe, charges whose refunds to list
RETRIEVE_LATEST_CHARGE = "retrieve_latest_charge"  # of these payment intents
RETRIEVE_REFUND = "retrieve_refund"
LIST_CHARGE_REFUNDS = "list_charge_refunds"
# written by the facts step for the marts step: customers whose movements changed
CUSTOMER_FACTS = "customer_facts"
# customers whose movements the payments step wrote (it refreshed their customer marts in
# its own round trip): the channel funnel's trigger, left for the marts step
FUNNEL_CUSTOMERS = "funnel_customers"
# installs inserted into fact_install (the install write paths)
INSTALLS = "installs"
# users of the installs inserted, after the install write path upserted their
# fact_user_acquisition rows (the channel funnel's trigger on the install side)
INSTALL_USERS = "install_users"
# customers whose MRR movements the subscriptions step recomputed (MRR by channel's trigger)
MRR_CUSTOMERS = "mrr_customers"


@dataclass
class ChangeSet:
    """Stripe ids per kind. Callable: calling it flushes it (the pre-commit callback)."""

    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    api_key: str | None = None
    flushing: bool = False

    def add(self, kind: str, ids: Iterable[str | None]) -> None:
        self.ids[kind].update(filter(None, ids))

    def __getitem__(self, kind: str) -> list[str]:
        return sorted(self.ids.get(kind, ()))

    def take(self, kind: str) -> list[str]:
        """The ids of a kind, removed from the set (work that must happen once)."""
        return sorted(self.ids.pop(kind, ()))

    def __bool__(self) -> bool:
        return any(self.ids.values())

    def __call__(self) -> None:
        flush(self)


@dataclass
class FlushStep:
    name: str
    run: Callable[[ChangeSet], None]


# Run in this order by every flush: upstream completion, then facts, then marts.
STEPS: list[FlushStep] = []


def register_step(name: str, run: Callable[[ChangeSet], None], *, before: str | None = None):
    """Add a step to every flush (at the end, or before the step named `before`)."""
    step = FlushStep(name, run)
    if before is None:
        STEPS.append(step)
    else:
        STEPS.insert(next(i for i, s in enumerate(STEPS) if s.name == before), step)


def current() -> ChangeSet | None:
    """The change set of the current transaction, if anything was recorded in it."""
    flushing = getattr(connection, "warehouse_flushing", None)
    if flushing is not None:
        return flushing
    return next(
        (cb for cb in connection.run_before_commit if isinstance(cb, ChangeSet)),
        None,
    )


def record(kind: str, ids: Iterable[str | None], *, api_key: str | None = None) -> None:
    """Note that this transaction touched these Stripe objects (receivers call only this)."""
    record_all({kind: ids}, api_key=api_key)


def record_all(ids_by_kind: dict[str, Iterable[str | None]], *, api_key: str | None = None) -> None:
    """`record` of several kinds at once: under autocommit they are flushed together (one
    `record` after another would flush each alone)."""
    change_set = current()
    if change_set is None:
        change_set = ChangeSet()
        for kind, ids in ids_by_kind.items():
            change_set.add(kind, ids)
        if api_key:
            change_set.api_key = api_key
        if change_set:
            connection.before_commit(change_set)  # runs it now under autocommit
        return
    for kind, ids in ids_by_kind.items():
        change_set.add(kind, ids)
    if api_key and not change_set.api_key:
        change_set.api_key = api_key


def flush_now() -> None:
    """Flush the current transaction's change set now (the webhook's post-process)."""
    change_set = current()
    if change_set is not None and not change_set.flushing:
        connection.run_before_commit.remove(change_set)
        change_set()


def flush(change_set: ChangeSet) -> None:
    """Run every step on the change set, in one transaction (the caller's, if any)."""
    from django.db import transaction

    if not change_set:
        return
    connection.warehouse_flushing = change_set
    change_set.flushing = True
    try:
        # no savepoint: nothing here catches an error, the whole transaction rolls back
        with transaction.atomic(savepoint=False):
            for step in STEPS:
                step.run(change_set)
    finally:
        change_set.flushing = False
        connection.warehouse_flushing = None
