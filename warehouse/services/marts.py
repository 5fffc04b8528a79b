"""The marts: what the report pages read, pre-aggregated and delta-maintained.

Each mart is one table with one `.sql` file in warehouse/sql/marts/, whose header says what
it holds, its grain, the changes that trigger it and its two forms: delta (for the customers
of a change set) and full (for everyone). `refresh_marts` is the one entry point: the flush
of a change set, the rebuild and the install repair call it. The payments flush sends the
customer marts' delta statements (`customer_mart_delta_calls`) in its own round trip, with
the customer ids that fact_transaction reports on the server, so its marts step then finds no
customer_facts left. The install write paths add
their new installs to the install marts inside their own insert statement (same rules:
install_stage_facts.sql, install_upsert_one.sql), without re-reading fact_install.

The channel funnel (fact_channel_funnel_day, with fact_funnel_user and fact_funnel_customer
recording what each user and customer adds to it) and MRR by channel (fact_channel_mrr_day,
with fact_mrr_channel_customer) have two triggers: the install write paths call
`refresh_marts({INSTALL_USERS: users})` after upserting fact_user_acquisition, and the change
set's marts step runs the customers' deltas after the customer marts (for the customers whose
movements, MRR movements or dim_customer row changed).

Lock order, the same on every path, so that the two cannot deadlock:
1. the customers' advisory locks (customers_lock; payments only);
2. the funnel's lock (FUNNEL_LOCK), shared, then the users' locks (FUNNEL_USER_LOCK_NAMESPACE,
   hashtext(user_id)) in key order, in one statement; or, past FUNNEL_USER_LOCKS_MAX users
   or customers (an import batch), the funnel's lock alone, exclusive;
3. the funnel's rows, one statement per delta, each in key order.
The install path already holds its install rows (fact_install, fact_install_day,
fact_user_acquisition) when it asks for step 2, but the payments path never writes those
tables, and whoever holds a step-2 lock never waits for install rows. A user's lock makes the
install path's move of a user (with their customers) and the payments path's change of a
customer of that user one after the other: each delta is a separate statement from its locks,
so its snapshot is taken once they are held and reads what the previous holder committed.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from warehouse import sql_files
from warehouse.calendar import reporting_time_zone_name
from warehouse.services import change_set as changes
from warehouse.services.locks import customers_lock_params, lock_all_customers

# The channel funnel's advisory locks (two-int key space): the funnel's own (taken shared with
# per-user locks, or exclusive alone for more than FUNNEL_USER_LOCKS_MAX users or customers:
# an import batch of 5,000 users would hold 5,000 locks, and PostgreSQL's shared lock table
# holds 64 per connection by default), and the users' (namespace, hashtext(user_id)).
FUNNEL_LOCK = (20262, 0)
FUNNEL_USER_LOCK_NAMESPACE = 20263
FUNNEL_USER_LOCKS_MAX = 32


def _funnel_lock_params(ids: list[str]) -> dict:
    return {
        "funnel_lock_namespace": FUNNEL_LOCK[0],
        "funnel_lock_key": FUNNEL_LOCK[1],
        "user_lock_namespace": FUNNEL_USER_LOCK_NAMESPACE,
        "exclusive": len(ids) > FUNNEL_USER_LOCKS_MAX,
    }


@dataclass(frozen=True)
class Mart:
    table: str
    triggered_by: str  # the change set kind whose ids its delta form takes
    # reads fact_customer_month's stored rows as the previous version of the changed
    # customers' months: its delta must run before fact_customer_month is refreshed
    subtracts_previous: bool = False

    @property
    def statement(self) -> str:
        return sql_files.load(f"marts/{self.table}")


# In delta order (see subtracts_previous); the full refresh runs fact_customer_month first.
CUSTOMER_MARTS = (
    Mart("fact_month", changes.CUSTOMER_FACTS, subtracts_previous=True),
    Mart("fact_cohort_month", changes.CUSTOMER_FACTS, subtracts_previous=True),
    Mart("fact_follow_month", changes.CUSTOMER_FACTS, subtracts_previous=True),
    Mart("fact_customer_lifetime", changes.CUSTOMER_FACTS),
    # and fact_day, in the same statement (subtracts its own stored days, not the months')
    Mart("fact_customer_day", changes.CUSTOMER_FACTS),
    Mart("fact_customer_month", changes.CUSTOMER_FACTS),
)
INSTALL_MARTS = (
    Mart("fact_user_acquisition", changes.INSTALLS),
    Mart("fact_install_day", changes.INSTALLS),
)
# The channel funnel: its users' delta (after the install marts), then its customers' delta
# (after the customer marts). Both write fact_channel_funnel_day.
FUNNEL_USERS = Mart("fact_channel_funnel_users", changes.INSTALL_USERS)
FUNNEL_CUSTOMERS = Mart("fact_channel_funnel_customers", changes.CUSTOMER_FACTS)
# MRR by channel: its customers' delta in the marts step; the funnel's users' delta moves
# their MRR between channels with the users
CHANNEL_MRR = Mart("fact_channel_mrr_customers", changes.MRR_CUSTOMERS)
# the kinds that trigger the funnel (customer: a synced customer's user id may have changed)
FUNNEL_KINDS = (changes.CUSTOMER_FACTS, changes.CUSTOMER, changes.INSTALLS, changes.INSTALL_USERS)


def refresh_for_change_set(change_set: changes.ChangeSet) -> None:
    """The flush's marts step: the marts triggered by what the facts step changed, and the
    channel funnel of the customers synced (their user id may have changed)."""
    refresh_marts(
        {
            changes.CUSTOMER_FACTS: change_set.take(changes.CUSTOMER_FACTS),
            changes.FUNNEL_CUSTOMERS: change_set.take(changes.FUNNEL_CUSTOMERS),
            changes.CUSTOMER: change_set[changes.CUSTOMER],
            changes.MRR_CUSTOMERS: change_set.take(changes.MRR_CUSTOMERS),
        }
    )


@transaction.atomic(savepoint=False)  # nothing here catches an error: no savepoint needed
def refresh_marts(changed: dict[str, Iterable[str] | None] | None) -> None:
    """Refresh the marts triggered by these changes ({kind: ids}), or every mart in full (None).

    Kinds: customer_facts (customer ids: the customer marts and the funnel); funnel_customers
    (customer ids whose customer marts the payments step refreshed: the funnel); customer
    (customer ids: the funnel and MRR by channel); mrr_customers (customer ids: MRR by
    channel; None: MRR by channel in full, after the MRR movements' full refresh); installs
    (install ids: the install marts and the funnel); install_users (user ids whose first
    install the install path has just upserted: the funnel only). A kind mapped to None
    refreshes its marts in full, and the funnel in full. Idempotent. Refreshes of the same
    customer are serialised by a transaction-scoped advisory lock, so neither sees a
    half-written month; refreshes of different customers run side by side and add their
    deltas to the shared rows. A full refresh excludes them all. The funnel's deltas also
    take per-user locks (module doc).
    """
    if changed is None:
        changed = {changes.CUSTOMER_FACTS: None, changes.INSTALLS: None}
    funnel_in_full = any(kind in changed and changed[kind] is None for kind in FUNNEL_KINDS)
    mrr_in_full = funnel_in_full or (
        changes.MRR_CUSTOMERS in changed and changed[changes.MRR_CUSTOMERS] is None
    )
    if mrr_in_full:
        # first, before any install table: the order every writer of the funnel follows
        lock_all_customers()
    customer_ids = changed.get(changes.CUSTOMER_FACTS) if changes.CUSTOMER_FACTS in changed else ()
    if customer_ids is None:
        _refresh_customer_marts_in_full()
        customer_ids = ()
    synced = changed.get(changes.CUSTOMER) or ()
    mrr_customer_ids = () if mrr_in_full else {*(changed.get(changes.MRR_CUSTOMERS) or ()), *synced}
    # customers whose movements the payments step wrote (their customer marts done there)
    paid = changed.get(changes.FUNNEL_CUSTOMERS) or ()
    funnel_customer_ids = () if funnel_in_full else {*customer_ids, *synced, *paid}
    _refresh_customer_marts(
        sorted(set(filter(None, customer_ids))),
        funnel_customer_ids=sorted(set(filter(None, funnel_customer_ids))),
        mrr_customer_ids=sorted(set(filter(None, mrr_customer_ids))),
    )
    funnel_users: set[str] = set()
    if changes.INSTALLS in changed:
        install_ids = changed[changes.INSTALLS]
        if install_ids is None:
            _refresh_install_marts_in_full()
        else:
            funnel_users |= _refresh_install_marts(sorted(set(filter(None, install_ids))))
    if funnel_in_full:
        _refresh_funnel_in_full()
        return
    if mrr_in_full:
        _refresh_channel_mrr_in_full()
    funnel_users |= set(filter(None, changed.get(changes.INSTALL_USERS) or ()))
    if funnel_users:
        _refresh_funnel_users(sorted(funnel_users))


def _refresh_customer_marts(
    customer_ids: list[str], *, funnel_customer_ids: list[str], mrr_customer_ids: list[str]
) -> None:
    """The customer marts' delta of customer_ids, then the funnel's customers' delta of
    funnel_customer_ids and MRR by channel's of mrr_customer_ids, in one round trip: the
    customers' locks (all of them, in key order), the customer marts, the users' locks
    (funnel_customers_lock), the funnel's deltas."""
    sql_files.execute_all(
        customer_marts_calls(
            customer_ids,
            funnel_customer_ids=funnel_customer_ids,
            mrr_customer_ids=mrr_customer_ids,
        ),
        prepared=True,
    )


def customer_marts_calls(
    customer_ids: list[str], *, funnel_customer_ids: list[str], mrr_customer_ids: list[str]
) -> list[tuple]:
    """The (file, params) statements of _refresh_customer_marts, in order, to run prepared in
    one round trip (the subscriptions step sends MRR by channel's with its MRR batch)."""
    locked = sorted({*customer_ids, *funnel_customer_ids, *mrr_customer_ids})
    if not locked:
        return []
    calls = customer_mart_delta_calls(customer_ids, locked=locked)
    if funnel_customer_ids or mrr_customer_ids:
        calls.append(
            (
                "funnel_customers_lock",
                {
                    **_funnel_lock_params(sorted({*funnel_customer_ids, *mrr_customer_ids})),
                    "customer_ids": sorted({*funnel_customer_ids, *mrr_customer_ids}),
                },
            )
        )
    if funnel_customer_ids:
        calls.append(
            (
                f"marts/{FUNNEL_CUSTOMERS.table}",
                {"all_customers": False, "customer_ids": funnel_customer_ids},
            )
        )
    if mrr_customer_ids:
        calls.append(
            (
                f"marts/{CHANNEL_MRR.table}",
                {"all_customers": False, "customer_ids": mrr_customer_ids},
            )
        )
    return calls


def channel_mrr_calls_of_moved(customer_ids: list[str], moved: sql_files.Carried) -> list[tuple]:
    """customer_marts_calls([], funnel_customer_ids=[], mrr_customer_ids=customer_ids), for
    the customers among them whose MRR movements an earlier statement of the same round trip
    wrote or deleted (`moved`, carried): the others' MRR by channel cannot have changed in
    the transaction (their movements did not, nor their user: a synced customer sends its
    channel delta through the marts step). No movement moved: the three statements run over
    no customer. Many customers (more than FUNNEL_USER_LOCKS_MAX): all of them, as the
    funnel's exclusive lock follows from their number."""
    if len(customer_ids) > FUNNEL_USER_LOCKS_MAX:
        return customer_marts_calls([], funnel_customer_ids=[], mrr_customer_ids=customer_ids)
    return [
        (
            "customers_lock",
            customers_lock_params(moved, reporting_time_zone=reporting_time_zone_name()),
        ),
        ("funnel_customers_lock", {**_funnel_lock_params([]), "customer_ids": moved}),
        (f"marts/{CHANNEL_MRR.table}", {"all_customers": False, "customer_ids": moved}),
    ]


def customer_mart_delta_calls(
    customer_ids: list[str] | sql_files.Carried, *, locked: list[str] | None = None
) -> list[tuple]:
    """The (file, params) statements of the customer marts' delta form, in order: the
    customers' locks (of `locked`, by default customer_ids), then each delta. Run them
    prepared, in one round trip, in a transaction. The payments flush sends them with its
    facts (customer ids carried from fact_transaction)."""
    params = {"all_customers": False, "customer_ids": customer_ids, "subtract_previous": True}
    calls = [
        (
            "customers_lock",
            customers_lock_params(
                customer_ids if locked is None else locked,
                reporting_time_zone=reporting_time_zone_name(),
            ),
        ),
    ]
    if customer_ids:
        calls += [(f"marts/{mart.table}", params) for mart in CUSTOMER_MARTS]
    return calls


def funnel_users_calls(user_ids: list[str]) -> list[tuple[str, dict]]:
    """The (file, params) statements of the funnel's users' delta: the users' locks, then
    their move. Run them prepared, in one round trip, in a transaction, after the install
    rows (the lock order in the module doc); the callback sends them with its install."""
    return [
        ("funnel_users_lock", {**_funnel_lock_params(user_ids), "user_ids": user_ids}),
        (f"marts/{FUNNEL_USERS.table}", {"all_users": False, "user_ids": user_ids}),
    ]


def _refresh_funnel_users(user_ids: list[str]) -> None:
    """The funnel's users' delta: the users' locks, then their move; one round trip."""
    sql_files.execute_all(funnel_users_calls(user_ids), prepared=True)


def _refresh_funnel_in_full() -> None:
    """Empty the funnel's three tables and refill them: users, then customers. The caller
    holds the aggregates' exclusive lock (no customers' delta runs meanwhile); the
    TRUNCATE's lock holds back the install path's deltas until the commit."""
    with connection.cursor() as cursor:
        cursor.execute(sql_files.load("funnel_clear"))
        cursor.execute(FUNNEL_USERS.statement, {"all_users": True, "user_ids": []})
        cursor.execute(FUNNEL_CUSTOMERS.statement, {"all_customers": True, "customer_ids": []})
        cursor.execute(CHANNEL_MRR.statement, {"all_customers": True, "customer_ids": []})


def _refresh_channel_mrr_in_full() -> None:
    """Empty MRR by channel and refill it (after the MRR movements' full refresh). The caller
    holds the aggregates' exclusive lock."""
    with connection.cursor() as cursor:
        cursor.execute(sql_files.load("channel_mrr_clear"))
        cursor.execute(CHANNEL_MRR.statement, {"all_customers": True, "customer_ids": []})


def _refresh_customer_marts_in_full() -> None:
    lock_all_customers()
    params = {"all_customers": True, "customer_ids": [], "subtract_previous": False}
    in_full_order = sorted(CUSTOMER_MARTS, key=lambda mart: mart.table != "fact_customer_month")
    with connection.cursor() as cursor:
        _set_reporting_time_zone(cursor)
        cursor.execute(sql_files.load("report_aggregates_clear"))
        for mart in in_full_order:
            cursor.execute(mart.statement, params)


def _refresh_install_marts(install_ids: list[str]) -> set[str]:
    """The install marts' delta of these installs; returns their users (for the funnel)."""
    if not install_ids:
        return set()
    with connection.cursor() as cursor:
        for mart in INSTALL_MARTS:
            cursor.execute(mart.statement, {"all_installs": False, "install_ids": install_ids})
        cursor.execute(
            "select distinct user_id from fact_install where install_id = any(%s)", [install_ids]
        )
        return {row[0] for row in cursor.fetchall()}


def _refresh_install_marts_in_full() -> None:
    with connection.cursor() as cursor:
        # TRUNCATE refuses tables with deferred FK checks still pending in the transaction
        cursor.execute("set constraints all immediate")
        # its exclusive lock makes concurrent install writers wait for the refill's commit
        cursor.execute(sql_files.load("install_aggregates_clear"))
        for mart in INSTALL_MARTS:
            cursor.execute(mart.statement, {"all_installs": True, "install_ids": []})
        cursor.execute("set constraints all deferred")  # Django's FKs are initially deferred


def _set_reporting_time_zone(cursor) -> None:
    """The months of int_customer_months are taken in this zone, for this transaction."""
    cursor.execute(
        "select set_config('stripe_dwh.reporting_time_zone', %s, true)",
        [reporting_time_zone_name()],
    )


def refresh_customer_months(customer_ids: Iterable[str] | None = None) -> None:
    """The customer marts of these customers (None: of everyone, in full)."""
    refresh_marts({changes.CUSTOMER_FACTS: customer_ids})
