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
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from warehouse import sql_files
from warehouse.calendar import reporting_time_zone_name
from warehouse.services import change_set as changes
from warehouse.services.locks import customers_lock_params, lock_all_customers


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


def refresh_for_change_set(change_set: changes.ChangeSet) -> None:
    """The flush's marts step: the marts triggered by what the facts step changed."""
    refresh_marts({changes.CUSTOMER_FACTS: change_set.take(changes.CUSTOMER_FACTS)})


@transaction.atomic(savepoint=False)  # nothing here catches an error: no savepoint needed
def refresh_marts(changed: dict[str, Iterable[str] | None] | None) -> None:
    """Refresh the marts triggered by these changes ({kind: ids}), or every mart in full (None).

    A kind mapped to None refreshes its marts in full. Idempotent. Refreshes of the same
    customer are serialised by a transaction-scoped advisory lock, so neither sees a
    half-written month; refreshes of different customers run side by side and add their
    deltas to the shared rows. A full refresh excludes them all.
    """
    if changed is None:
        changed = {changes.CUSTOMER_FACTS: None, changes.INSTALLS: None}
    if changes.CUSTOMER_FACTS in changed:
        customer_ids = changed[changes.CUSTOMER_FACTS]
        if customer_ids is None:
            _refresh_customer_marts_in_full()
        else:
            _refresh_customer_marts(sorted(set(filter(None, customer_ids))))
    if changes.INSTALLS in changed:
        install_ids = changed[changes.INSTALLS]
        if install_ids is None:
            _refresh_install_marts_in_full()
        else:
            _refresh_install_marts(sorted(set(filter(None, install_ids))))


def _refresh_customer_marts(customer_ids: list[str]) -> None:
    if not customer_ids:
        return
    # the locks first, then each delta in order; one round trip for the seven statements
    sql_files.execute_all(customer_mart_delta_calls(customer_ids), prepared=True)


def customer_mart_delta_calls(customer_ids: list[str] | sql_files.Carried) -> list[tuple]:
    """The (file, params) statements of the customer marts' delta form, in order: the
    customers' locks, then each delta. Run them prepared, in one round trip, in a transaction.
    The payments flush sends them with its facts (customer ids carried from fact_transaction)."""
    params = {"all_customers": False, "customer_ids": customer_ids, "subtract_previous": True}
    return [
        (
            "customers_lock",
            customers_lock_params(customer_ids, reporting_time_zone=reporting_time_zone_name()),
        ),
        *((f"marts/{mart.table}", params) for mart in CUSTOMER_MARTS),
    ]


def _refresh_customer_marts_in_full() -> None:
    lock_all_customers()
    params = {"all_customers": True, "customer_ids": [], "subtract_previous": False}
    in_full_order = sorted(CUSTOMER_MARTS, key=lambda mart: mart.table != "fact_customer_month")
    with connection.cursor() as cursor:
        _set_reporting_time_zone(cursor)
        cursor.execute(sql_files.load("report_aggregates_clear"))
        for mart in in_full_order:
            cursor.execute(mart.statement, params)


def _refresh_install_marts(install_ids: list[str]) -> None:
    if not install_ids:
        return
    with connection.cursor() as cursor:
        for mart in INSTALL_MARTS:
            cursor.execute(mart.statement, {"all_installs": False, "install_ids": install_ids})


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
