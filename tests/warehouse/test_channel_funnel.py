"""The channel funnel mart (fact_channel_funnel_day, with fact_funnel_user and
fact_funnel_customer), delta-maintained by the install write paths and the payments change
set, equals both a from-scratch recompute and a plain-Python computation from the installs,
the customers and their transactions, whatever order installs and payments arrive in:
installs after payments, earlier reinstalls that move a user, refunds, a customer whose user
id changes, a customer who stops having movements."""

import datetime as dt
import threading
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from reports.models import AcquisitionReport, MrrMovementReport
from tests.factories import (
    DimChannelFactory,
    DimClientFactory,
    DimCustomerFactory,
    FactInstallFactory,
    FactTransactionFactory,
    utc,
)
from tests.warehouse.test_report_aggregates import expected_aggregates
from warehouse.calendar import date_sk
from warehouse.models import (
    DimCustomer,
    FactChannelFunnelDay,
    FactChannelMrrDay,
    FactFunnelCustomer,
    FactFunnelUser,
    FactInstall,
    FactMrrChannelCustomer,
    FactMrrMovement,
    FactTransaction,
)
from warehouse.services import change_set as changes
from warehouse.services.installs import import_install_rows
from warehouse.services.marts import refresh_marts

pytestmark = pytest.mark.django_db
T = FactTransaction.TransactionType
UTC = ZoneInfo("UTC")


def funnel_snapshot() -> dict:
    """The three tables as plain dicts; funnel cells whose counts are all 0 left out (a
    delta may leave them where a recompute writes none)."""
    return {
        "cells": {
            (row.date_id, row.channel_id, row.os_name): (
                row.users,
                row.paying_customers,
                row.net_revenue,
            )
            for row in FactChannelFunnelDay.objects.all()
            if (row.users, row.paying_customers, row.net_revenue) != (0, 0, 0)
        },
        "users": {
            row.user_id: (row.date_sk, row.channel_id, row.os_name)
            for row in FactFunnelUser.objects.all()
        },
        "customers": {
            row.customer_id: (row.user_id, row.paying, row.net_revenue)
            for row in FactFunnelCustomer.objects.all()
        },
    }


def expected_funnel() -> dict:
    """The same, in Python from fact_install (each user's earliest install, ties by the
    smaller id), dim_customer's user ids and every transaction (expected_aggregates)."""
    first = {}
    for install in FactInstall.objects.select_related("client"):
        key = (install.installed_at, install.install_id)
        if install.user_id not in first or key < first[install.user_id][0]:
            cell = (date_sk(install.installed_at.astimezone(UTC)), install.channel_id)
            first[install.user_id] = (key, (*cell, install.client.os_name))
    users = {user: cell for user, (_, cell) in first.items()}
    lifetimes = expected_aggregates(UTC)["fact_customer_lifetime"]
    user_of = dict(DimCustomer.objects.values_list("stripe_id", "user_id"))
    customers = {
        customer: (
            user_of[customer],
            lifetime["first_payment_month"] is not None,
            lifetime["total_net"],
        )
        for (customer,), lifetime in lifetimes.items()
        if user_of.get(customer)
    }
    cells = defaultdict(lambda: [0, 0, 0])
    for cell in users.values():
        cells[cell][0] += 1
    for user, paying, net in customers.values():
        if user in users:
            cells[users[user]][1] += paying
            cells[users[user]][2] += net
    return {
        "cells": {cell: tuple(v) for cell, v in cells.items() if tuple(v) != (0, 0, 0)},
        "users": users,
        "customers": customers,
    }


def assert_funnel_exact():
    """Delta-maintained = plain Python = recomputed in full (which must change nothing)."""
    delta = funnel_snapshot()
    assert delta == expected_funnel()
    with transaction.atomic():
        refresh_marts({changes.INSTALL_USERS: None})
        assert funnel_snapshot() == delta
        transaction.set_rollback(True)  # keep the delta-maintained rows for the next step


def pay(customer, amount, at, *, kind=T.CHARGE, status="succeeded", stripe_id=None):
    """A transaction, then the per-customer refresh the change set's marts step runs."""
    FactTransactionFactory(
        customer=customer,
        occurred_at=at,
        amount=amount,
        transaction_type=kind,
        status=status,
        **({"stripe_id": stripe_id} if stripe_id else {}),
    )
    refresh_marts({changes.CUSTOMER_FACTS: [customer.stripe_id]})


def import_installs(rows):
    fields = (
        "install_id",
        "user_id",
        "installed_at",
        "os_name",
        "app_name",
        "app_version",
        "device_name",
        "channel_name",
    )
    summary = import_install_rows([dict(zip(fields, row, strict=True)) for row in rows])
    assert summary.rejected == 0, summary.rejections
    return summary


@pytest.fixture
def channels(settings):
    settings.TIME_ZONE = "UTC"
    return {name: DimChannelFactory(channel_name=name) for name in ("paid", "organic", "referral")}


@pytest.fixture
def clients():
    return {os_name: DimClientFactory(os_name=os_name) for os_name in ("Android", "iOS")}


def test_funnel_follows_installs_and_payments_in_any_order(channels, clients):
    paid, organic, referral = channels["paid"], channels["organic"], channels["referral"]
    android, ios = clients["Android"], clients["iOS"]

    # ann installs, then pays (two customers for one user), then gets a refund
    FactInstallFactory(user_id="ann", channel=paid, client=android, installed_at=utc(2025, 3, 5))
    ann = DimCustomerFactory(stripe_id="cus_ann", user_id="ann")
    ann2 = DimCustomerFactory(stripe_id="cus_ann2", user_id="ann")
    pay(ann, 5000, utc(2025, 3, 6), stripe_id="ch_ann_1")
    pay(ann2, 700, utc(2025, 4, 6))
    assert_funnel_exact()
    pay(ann, -1200, utc(2025, 3, 9), kind=T.REFUND)
    assert_funnel_exact()

    # bob pays before any install of his arrives; a failed charge only (no paying month)
    bob = DimCustomerFactory(stripe_id="cus_bob", user_id="bob")
    pay(bob, 900, utc(2025, 5, 1))
    cat = DimCustomerFactory(stripe_id="cus_cat", user_id="cat")
    pay(cat, 400, utc(2025, 5, 2), status="failed")
    before_installs = funnel_snapshot()
    assert {"bob", "cat"}.isdisjoint(before_installs["users"])  # no install yet: no cell
    assert before_installs["customers"]["cus_bob"] == ("bob", True, 900)
    assert_funnel_exact()
    # ... then his install arrives by the callback, and cat's by the import
    FactInstallFactory(user_id="bob", channel=organic, client=ios, installed_at=utc(2025, 4, 20))
    import_installs([("cat-1", "cat", "2025-04-21T10:00:00+00:00", "iOS", "app", "1", "d", "paid")])
    assert_funnel_exact()

    # ann's real first install arrives late (a reinstall's earlier twin): she moves with her
    # customers to referral, in February; a later reinstall moves nothing
    FactInstallFactory(user_id="ann", channel=referral, client=ios, installed_at=utc(2025, 2, 1))
    FactInstallFactory(user_id="ann", channel=organic, client=ios, installed_at=utc(2025, 6, 1))
    assert funnel_snapshot()["users"]["ann"][1] == referral.channel_sk
    assert_funnel_exact()
    # the same by the import, for bob, with a batch holding his install twice over a day
    import_installs(
        [
            ("bob-0", "bob", "2025-01-15T08:00:00+00:00", "Android", "app", "1", "d", "paid"),
            ("bob-00", "bob", "2025-01-15T08:00:00+00:00", "iOS", "app", "1", "d", "referral"),
            ("dan-1", "dan", "2025-01-16T08:00:00+00:00", "Android", "app", "1", "d", "paid"),
        ]
    )
    assert funnel_snapshot()["users"]["bob"][1] == paid.channel_sk  # ties: the smaller id
    assert_funnel_exact()

    # ann2 is relinked to dan (a customer.updated webhook syncing the user id metadata)
    DimCustomer.objects.filter(stripe_id="cus_ann2").update(user_id="dan")
    refresh_marts({changes.CUSTOMER_FACTS: [], changes.CUSTOMER: ["cus_ann2"]})
    assert funnel_snapshot()["customers"]["cus_ann2"][0] == "dan"
    assert_funnel_exact()
    # ... and loses it
    DimCustomer.objects.filter(stripe_id="cus_ann2").update(user_id=None)
    refresh_marts({changes.CUSTOMER_FACTS: [], changes.CUSTOMER: ["cus_ann2"]})
    assert "cus_ann2" not in funnel_snapshot()["customers"]
    assert_funnel_exact()

    # bob's charge is deleted from the facts (his only movement): his lifetime goes
    FactTransaction.objects.filter(customer_id="cus_bob").delete()
    refresh_marts({changes.CUSTOMER_FACTS: ["cus_bob"]})
    assert "cus_bob" not in funnel_snapshot()["customers"]
    assert_funnel_exact()


def test_the_report_reads_the_mart(channels, clients):
    """channel_funnel.sql sums the mart's cells of the range's days, by channel."""
    paid, organic = channels["paid"], channels["organic"]
    FactInstallFactory(
        user_id="u1", channel=paid, client=clients["iOS"], installed_at=utc(2025, 3, 31, 23)
    )
    FactInstallFactory(
        user_id="u2", channel=paid, client=clients["Android"], installed_at=utc(2025, 4, 1)
    )
    FactInstallFactory(
        user_id="u3", channel=organic, client=clients["iOS"], installed_at=utc(2025, 4, 2)
    )
    pay(DimCustomerFactory(user_id="u2"), 1000, utc(2025, 4, 3))
    pay(DimCustomerFactory(user_id="u2"), -50, utc(2025, 4, 3), kind=T.REFUND)
    rows = {
        row["channel_name"]: (row["installs"], row["paying_customers"], row["net_revenue"])
        for row in AcquisitionReport.objects.channel_funnel(
            dt.date(2025, 4, 1), dt.date(2025, 4, 30)
        )
    }
    # net to date: settled charges plus refunds and disputes (fees apart), both customers
    assert rows == {
        "paid": (1, 1, 1000 - 50),
        "organic": (1, 0, 0),
        "referral": (0, 0, 0),
    }


@pytest.mark.django_db(transaction=True)
def test_a_payment_waits_for_an_install_moving_its_user(channels, clients):
    """The install path holds the user's lock from its move to its commit: a payments delta
    of a customer of that user waits, then adds to the cell the install moved the user to
    (without the lock, it would add to the old cell, or the move would miss the payment)."""
    FactInstallFactory(
        user_id="eve", channel=channels["paid"], client=clients["iOS"], installed_at=utc(2025, 5, 1)
    )
    eve = DimCustomerFactory(stripe_id="cus_eve", user_id="eve")
    pay(eve, 1000, utc(2025, 5, 2))
    install_done = threading.Event()
    release_install = threading.Event()
    errors = []

    def install_earlier():
        try:
            with transaction.atomic():
                FactInstallFactory(
                    install_id="eve-0",
                    user_id="eve",
                    channel=channels["referral"],
                    client=clients["Android"],
                    installed_at=utc(2025, 1, 1),
                )
                install_done.set()
                release_install.wait(10)
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
            install_done.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=install_earlier)
    thread.start()
    assert install_done.wait(10)
    payment_started = threading.Event()

    def payment():
        try:
            with transaction.atomic():
                payment_started.set()
                pay(eve, 500, utc(2025, 5, 3), stripe_id="ch_eve_late")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    payer = threading.Thread(target=payment)
    payer.start()
    assert payment_started.wait(10)
    payer.join(1)
    assert payer.is_alive(), "the payments delta did not wait for the user's lock"
    release_install.set()
    thread.join(10)
    payer.join(10)
    assert not errors
    assert_funnel_exact()
    assert funnel_snapshot()["users"]["eve"][1] == channels["referral"].channel_sk


# --- MRR by channel -------------------------------------------------------------------------


def mrr_snapshot() -> dict:
    return {
        "cells": {
            (row.date, row.channel_id): (row.mrr_change, row.customers_change)
            for row in FactChannelMrrDay.objects.all()
            if (row.mrr_change, row.customers_change) != (0, 0)
        },
        "customers": {
            row.customer_id: (row.user_id, row.dates, row.mrr_changes, row.customers_changes)
            for row in FactMrrChannelCustomer.objects.all()
        },
    }


def expected_mrr_by_channel(day: dt.date) -> list[tuple]:
    """MRR by channel at a day's end in Python: each customer's latest movement up to the day,
    under the channel of their user's earliest install (None: none)."""
    first = {}
    for install in FactInstall.objects.select_related("channel"):
        key = (install.installed_at, install.install_id)
        if install.user_id not in first or key < first[install.user_id][0]:
            first[install.user_id] = (key, install.channel.channel_name)
    latest = {}
    for movement in FactMrrMovement.objects.filter(date__lte=day).order_by("date"):
        latest[movement.customer_id] = movement.mrr_after
    user_of = dict(DimCustomer.objects.values_list("stripe_id", "user_id"))
    by_channel = defaultdict(lambda: [0, 0])
    for customer, mrr in latest.items():
        channel = first[user_of[customer]][1] if user_of.get(customer) in first else None
        by_channel[channel][0] += mrr > 0
        by_channel[channel][1] += mrr
    rows = [(name, n, mrr) for name, (n, mrr) in by_channel.items() if mrr > 0]
    return sorted(rows, key=lambda row: (-row[2], row[0] is None, row[0] or ""))


def assert_mrr_exact():
    for day in (
        dt.date(2025, 3, 15),
        dt.date(2025, 4, 15),
        dt.date(2025, 6, 1),
        dt.date(2026, 1, 1),
    ):
        rows = MrrMovementReport.objects.by_channel(day)
        assert [(r["channel_name"], r["customers_with_mrr"], r["mrr"]) for r in rows] == (
            expected_mrr_by_channel(day)
        ), day
    delta = mrr_snapshot()
    with transaction.atomic():
        refresh_marts({changes.MRR_CUSTOMERS: None})
        assert mrr_snapshot() == delta
        refresh_marts({changes.INSTALL_USERS: None})  # the whole funnel, MRR included
        assert mrr_snapshot() == delta
        transaction.set_rollback(True)


def set_movements(customer, *movements):
    """Replace a customer's MRR movements ((date, mrr_after), ...), then the delta the marts
    step runs for the customers the subscriptions step recorded."""
    FactMrrMovement.objects.filter(customer=customer).delete()
    before = 0
    for day, after in movements:
        FactMrrMovement.objects.create(
            customer=customer,
            date=day,
            month=day.replace(day=1),
            movement_type="new" if not before else ("churn" if not after else "expansion"),
            mrr_before=before,
            mrr_after=after,
            amount=after - before,
        )
        before = after
    refresh_marts({changes.MRR_CUSTOMERS: [customer.stripe_id]})


def test_mrr_by_channel_follows_movements_installs_and_users(channels, clients):
    paid, organic = channels["paid"], channels["organic"]
    FactInstallFactory(
        user_id="ann", channel=paid, client=clients["iOS"], installed_at=utc(2025, 2, 1)
    )
    ann = DimCustomerFactory(stripe_id="cus_ann", user_id="ann")
    bob = DimCustomerFactory(stripe_id="cus_bob", user_id="bob")  # no install yet
    carl = DimCustomerFactory(stripe_id="cus_carl", user_id=None)  # no user id
    set_movements(
        ann, (dt.date(2025, 3, 1), 1000), (dt.date(2025, 5, 1), 1500), (dt.date(2025, 7, 1), 0)
    )
    set_movements(bob, (dt.date(2025, 4, 1), 700))
    set_movements(carl, (dt.date(2025, 4, 10), 300), (dt.date(2025, 5, 20), 450))
    assert_mrr_exact()

    # bob's install arrives after his subscription: his MRR moves from "none" to organic
    FactInstallFactory(
        user_id="bob", channel=organic, client=clients["Android"], installed_at=utc(2025, 3, 1)
    )
    assert_mrr_exact()
    # ann's earlier install, by the import: her MRR history moves to referral
    import_installs(
        [("ann-0", "ann", "2025-01-05T00:00:00+00:00", "iOS", "app", "1", "d", "referral")]
    )
    assert mrr_snapshot()["customers"]["cus_ann"][0] == "ann"
    assert_mrr_exact()
    # ann reactivates (her movements recomputed), carl cancels
    set_movements(
        ann, (dt.date(2025, 3, 1), 1000), (dt.date(2025, 7, 1), 0), (dt.date(2025, 9, 1), 2000)
    )
    set_movements(carl, (dt.date(2025, 4, 10), 300), (dt.date(2025, 5, 20), 0))
    assert_mrr_exact()
    # carl is linked to bob, then bob's customer to nobody (customer.updated syncs)
    DimCustomer.objects.filter(stripe_id="cus_carl").update(user_id="bob")
    refresh_marts({changes.CUSTOMER: ["cus_carl"]})
    DimCustomer.objects.filter(stripe_id="cus_bob").update(user_id=None)
    refresh_marts({changes.CUSTOMER: ["cus_bob"]})
    assert_mrr_exact()
    # every movement of carl goes
    set_movements(carl)
    assert "cus_carl" not in mrr_snapshot()["customers"]
    assert_mrr_exact()


def test_the_subscriptions_step_records_its_customers_for_the_marts_step():
    """refresh_subscription_facts names its customers to the change set (kind mrr_customers),
    which the marts step reads (during a flush: the same change set)."""
    from warehouse.services.subscriptions import refresh_subscription_facts

    flushing = changes.ChangeSet()
    connection.warehouse_flushing = flushing
    try:
        refresh_subscription_facts(["cus_x", "cus_y"])
    finally:
        connection.warehouse_flushing = None
    assert flushing[changes.MRR_CUSTOMERS] == ["cus_x", "cus_y"]
