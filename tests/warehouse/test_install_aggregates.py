"""fact_user_acquisition and fact_install_day, as the install write path keeps them.

Every test compares the tables with the same aggregates worked out in plain Python from the
source rows: each user's earliest install (ties: smaller install_id) and install counts per
(day in the reporting time zone, channel, OS), an install_id counting once (its first
stored version).
"""

import datetime as dt
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import requests
from django.db import connection, connections, transaction
from django.urls import reverse

from tests.warehouse.test_install_import import install_row, run_import, write_csv
from warehouse.services import installs

TOKEN = "test-attribution-token-0123456789"  # devtools/settings.py
AUCKLAND = "Pacific/Auckland"


def _client_key(row):
    return (row["os_name"], row["app_name"], row["app_version"], row["device_name"])


def expected_aggregates(stored_rows, time_zone="UTC"):
    """(acquisition by user, install counts by (date_sk, channel, OS)) from the rows in
    the order they were stored; a repeated install_id keeps its first version."""
    zone = ZoneInfo(time_zone)
    first_version = {}
    for row in stored_rows:
        first_version.setdefault(row["install_id"], row)
    acquisition = {}
    days = Counter()
    for install_id, row in first_version.items():
        moment = dt.datetime.fromisoformat(row["installed_at"])
        local = moment.astimezone(zone).date()
        date_sk = local.year * 10000 + local.month * 100 + local.day
        candidate = {
            "install_id": install_id,
            "installed_at": moment,
            "date_sk": date_sk,
            "channel_name": row["channel_name"],
            "client": _client_key(row),
        }
        current = acquisition.get(row["user_id"])
        if current is None or (moment, install_id) < (
            current["installed_at"],
            current["install_id"],
        ):
            acquisition[row["user_id"]] = candidate
        days[(date_sk, row["channel_name"], row["os_name"])] += 1
    return acquisition, dict(days)


def stored_aggregates():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select acquisition.user_id, acquisition.install_id, acquisition.installed_at,
                acquisition.date_sk, channel.channel_name,
                client.os_name, client.app_name, client.app_version, client.device_name
            from fact_user_acquisition as acquisition
            inner join dim_channel as channel on channel.channel_sk = acquisition.channel_id
            inner join dim_client as client on client.client_sk = acquisition.client_id
            """
        )
        rows = cursor.fetchall()
        acquisition = {
            user_id: {
                "install_id": install_id,
                "installed_at": installed_at,
                "date_sk": date_sk,
                "channel_name": channel_name,
                "client": tuple(client),
            }
            for (user_id, install_id, installed_at, date_sk, channel_name, *client) in rows
        }
        cursor.execute(
            """
            select install_day.date_sk, channel.channel_name, install_day.os_name,
                install_day.installs
            from fact_install_day as install_day
            inner join dim_channel as channel on channel.channel_sk = install_day.channel_id
            """
        )
        days = {
            (date_sk, channel, os_name): n for date_sk, channel, os_name, n in cursor.fetchall()
        }
    return acquisition, days


FIRST_FILE = [
    install_row("i-01", user_id="ann", installed_at="2025-03-01T12:00:00+00:00"),
    install_row(
        "i-02",
        user_id="ann",
        installed_at="2025-03-05T08:00:00+00:00",
        channel_name="paid_social",
        os_name="iOS",
        device_name="iPhone 15",
    ),
    # 23:30 UTC on 1 March is already 2 March in Auckland
    install_row(
        "i-03", user_id="bob", installed_at="2025-03-01T23:30:00+00:00", channel_name="search"
    ),
    install_row(
        "i-04", user_id="bob", installed_at="2025-03-01T23:30:00+00:00", channel_name="paid_social"
    ),
    install_row(
        "i-05",
        user_id="cat",
        installed_at="2025-02-28T10:00:00+00:00",
        os_name="iOS",
        device_name="iPhone 15",
    ),
    # the same install_id again in the file, with other values: the first line wins
    install_row(
        "i-01", user_id="ann", installed_at="2025-01-01T00:00:00+00:00", channel_name="search"
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["UTC", AUCKLAND])
def test_csv_import_fills_acquisition_and_install_days(tmp_path, settings, time_zone):
    settings.TIME_ZONE = time_zone
    _, _, error = run_import(write_csv(tmp_path / "installs.csv", FIRST_FILE))
    assert error is None

    acquisition, days = stored_aggregates()
    assert (acquisition, days) == expected_aggregates(FIRST_FILE, time_zone)
    assert acquisition["bob"]["install_id"] == "i-03"  # same moment: the smaller install_id
    assert sum(days.values()) == 5


@pytest.mark.django_db
def test_reimport_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "installs.csv", FIRST_FILE)
    run_import(path)
    before = stored_aggregates()

    run_import(path)

    assert stored_aggregates() == before == expected_aggregates(FIRST_FILE)


@pytest.mark.django_db
def test_out_of_order_arrival_across_batches_and_imports(tmp_path):
    later_file = [
        install_row(
            "o-3", user_id="dan", installed_at="2025-04-03T00:00:00+00:00", channel_name="search"
        ),
        install_row(
            "o-2",
            user_id="dan",
            installed_at="2025-04-02T00:00:00+00:00",
            channel_name="paid_social",
        ),
        install_row("o-9", user_id="eve", installed_at="2025-04-02T00:00:00+00:00"),
        # the same day, channel and client as o-2, in another batch: the count adds up
        install_row(
            "o-4",
            user_id="fay",
            installed_at="2025-04-02T05:00:00+00:00",
            channel_name="paid_social",
        ),
    ]
    earlier_file = [
        install_row(
            "o-1",
            user_id="dan",
            installed_at="2025-04-01T00:00:00+00:00",
            os_name="iOS",
            device_name="iPhone 15",
        ),
        install_row("o-5", user_id="dan", installed_at="2025-04-05T00:00:00+00:00"),
        # same moment as eve's stored install but a smaller id: takes over
        install_row(
            "o-0", user_id="eve", installed_at="2025-04-02T00:00:00+00:00", channel_name="search"
        ),
    ]
    installs.import_install_rows(later_file, batch_size=1)
    assert stored_aggregates()[0]["dan"]["install_id"] == "o-2"

    run_import(write_csv(tmp_path / "earlier.csv", earlier_file))

    acquisition, days = stored_aggregates()
    assert (acquisition, days) == expected_aggregates(later_file + earlier_file)
    assert (acquisition["dan"]["install_id"], acquisition["eve"]["install_id"]) == ("o-1", "o-0")


@pytest.mark.django_db
def test_migration_fill_matches_the_write_path():
    """The frozen SQL of 0005 (fact_user_acquisition) and 0012 (fact_install_day by OS), run
    over installs already stored, gives what the write path kept."""
    from importlib import import_module

    migration = import_module("warehouse.migrations.0005_user_acquisition_install_day")
    by_os = import_module("warehouse.migrations.0012_pages_at_scale")
    rows = FIRST_FILE + [
        install_row(
            "m-1", user_id="ann", installed_at="2025-02-01T00:00:00+00:00", channel_name="tv"
        ),
    ]
    installs.import_install_rows(rows, batch_size=2)
    kept = stored_aggregates()

    with connection.cursor() as cursor:
        # 0005's SQL reads the table by its name then; 0006 renamed it to fact_install.
        cursor.execute(
            "create temporary view fact_user_first_install as select * from fact_install"
        )
        cursor.execute("delete from fact_user_acquisition")
        cursor.execute("delete from fact_install_day")
        cursor.execute(migration.FILL_USER_ACQUISITION)
        cursor.execute(by_os.FILL_INSTALL_DAY_BY_OS)

    assert stored_aggregates() == kept == expected_aggregates(rows)


@pytest.mark.django_db(transaction=True)
@pytest.mark.e2e
def test_callback_with_an_earlier_install_moves_the_acquisition(live_server, tmp_path):
    url = live_server.url + reverse("warehouse:install_callback")
    run_import(write_csv(tmp_path / "installs.csv", FIRST_FILE))

    def post(row):
        body = {key: value for key, value in row.items() if value != ""}
        response = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code in (200, 201), response.text

    earlier = install_row(
        "cb-early",
        user_id="ann",
        installed_at="2025-02-15T09:00:00+00:00",
        channel_name="referral",
        os_name="iOS",
        device_name="iPad",
    )
    later = install_row(
        "cb-late", user_id="cat", installed_at="2025-03-20T09:00:00+00:00", channel_name="referral"
    )
    for row in (earlier, later, earlier):  # the repeat changes nothing
        post(row)

    acquisition, days = stored_aggregates()
    assert (acquisition, days) == expected_aggregates(FIRST_FILE + [earlier, later])
    assert acquisition["ann"]["install_id"] == "cb-early"
    assert acquisition["ann"]["channel_name"] == "referral"
    assert acquisition["cat"]["install_id"] == "i-05"


@pytest.mark.django_db(transaction=True)
def test_concurrent_callbacks_for_one_user_keep_the_earliest():
    rows = [
        install_row(
            f"c-{n:02d}",
            user_id="zed",
            installed_at=f"2025-05-{1 + n % 9:02d}T{n % 24:02d}:00:00+00:00",
            channel_name=f"channel-{n % 3}",
        )
        for n in range(12)
    ]
    cleaned = [installs.clean_install_row(row) for row in rows]
    start = threading.Barrier(len(cleaned))
    failures = []

    def store(row):
        try:
            start.wait(timeout=30)
            installs.upsert_install(row)
            installs.upsert_install(row)  # a retried callback
        except Exception as exc:  # reported to the test thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=store, args=(row,)) for row in cleaned]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    acquisition, days = stored_aggregates()
    assert (acquisition, days) == expected_aggregates(rows)
    assert sum(days.values()) == len(rows)


@pytest.mark.django_db
def test_refresh_recomputes_both_tables_from_the_installs(tmp_path):
    """Installs written around the write path (bulk loads) are picked up by the refresh."""
    run_import(write_csv(tmp_path / "installs.csv", FIRST_FILE))
    bypass = install_row(
        "x-1", user_id="ann", installed_at="2025-01-10T00:00:00+00:00", channel_name="tv"
    )
    installs.import_install_rows([bypass])
    with connection.cursor() as cursor:  # as a bulk COPY would leave it: installs only
        cursor.execute("delete from fact_user_acquisition")
        cursor.execute("update fact_install_day set installs = installs + 5")

    installs.refresh_install_aggregates()

    assert stored_aggregates() == expected_aggregates(FIRST_FILE + [bypass])


@pytest.mark.django_db
def test_mixed_import_and_callbacks_keep_what_a_full_refresh_computes(tmp_path):
    """The write paths' deltas (the batch statement's and the single-install statement's)
    agree with the marts' full form and with plain Python after a mixed load: new installs,
    replays with other values, repeats within a batch, rejected lines, several batches,
    single installs before and after."""
    single_before = install_row(
        "s-1", user_id="gus", installed_at="2025-03-03T03:00:00+00:00", channel_name="tv"
    )
    installs.upsert_install(installs.clean_install_row(single_before))
    bad = dict(install_row("bad-1", user_id="ann"), installed_at="not a time")
    mixed = [
        *FIRST_FILE,
        bad,
        # a replay of the single install with an earlier time: changes nothing
        dict(single_before, installed_at="2024-01-01T00:00:00+00:00"),
        install_row("m-2", user_id="gus", installed_at="2025-03-02T00:00:00+00:00"),
        install_row("m-3", user_id="hal", installed_at="2025-03-02T00:00:00+00:00"),
        install_row("m-3", user_id="hal", installed_at="2025-01-02T00:00:00+00:00"),
    ]
    _, _, error = run_import(write_csv(tmp_path / "mixed.csv", mixed), "--batch-size", "3")
    assert error is not None  # the rejected line: exit status 1, the rest stored
    single_after = install_row(
        "s-2", user_id="hal", installed_at="2025-03-01T00:00:00+00:00", channel_name="new"
    )
    assert installs.upsert_install(installs.clean_install_row(single_after)) is True
    assert installs.upsert_install(installs.clean_install_row(single_after)) is False
    stored_rows = [single_before, *(row for row in mixed if row is not bad), single_after]

    kept = stored_aggregates()
    installs.refresh_install_aggregates()

    assert kept == stored_aggregates() == expected_aggregates(stored_rows)
    assert kept[0]["gus"]["install_id"] == "m-2"
    assert kept[0]["hal"]["install_id"] == "s-2"


@pytest.mark.django_db(transaction=True)
def test_a_callback_racing_a_new_channel_is_stored_by_the_batch_path():
    """install_upsert_one reads one snapshot: a channel committed by another writer after it
    started is neither inserted nor seen, so the install is stored by the batch path."""
    import psycopg2

    row = install_row(
        "race-1", user_id="ivy", installed_at="2025-06-01T00:00:00+00:00", channel_name="race"
    )
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:  # the other writer's channel, not yet committed
            cursor.execute(
                "insert into dim_channel (channel_name, channel_group, channel_label) "
                "values ('race', 'other group', 'Other label')"
            )
            cursor.execute("select pg_backend_pid()")
            (other_pid,) = cursor.fetchone()
        results, failures = [], []

        def store():
            try:
                results.append(installs.upsert_install(installs.clean_install_row(row)))
            except Exception as exc:  # reported to the test thread
                failures.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=store)
        thread.start()
        with connection.cursor() as cursor:  # wait until the callback waits for the channel
            for _ in range(600):
                cursor.execute(
                    "select count(*) from pg_stat_activity "
                    "where wait_event_type = 'Lock' and %s = any(pg_blocking_pids(pid))",
                    [other_pid],
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
            else:
                pytest.fail("the callback never waited for the other writer's channel")
        other.commit()
        thread.join(timeout=60)
    finally:
        other.close()

    assert (failures, results) == ([], [True])
    with connection.cursor() as cursor:
        cursor.execute(
            "select channel.channel_group from fact_install as install "
            "inner join dim_channel as channel on channel.channel_sk = install.channel_id "
            "where install.install_id = 'race-1'"
        )
        assert cursor.fetchall() == [("other group",)]  # the existing channel is kept
    assert stored_aggregates() == expected_aggregates([row])


@pytest.mark.django_db(transaction=True)
def test_the_prepared_single_install_statement_survives_rollbacks_and_reconnections():
    """install_upsert_one is prepared once per database session: after a rolled-back
    transaction that prepared it, and on a new connection, single installs are stored."""
    first, second, third = (
        install_row(f"p-{n}", user_id="pia", installed_at=f"2025-07-0{n}T00:00:00+00:00")
        for n in (3, 2, 1)
    )
    connection.close()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert installs.upsert_install(installs.clean_install_row(first)) is True
        raise RuntimeError("the caller's transaction rolls back")
    assert installs.upsert_install(installs.clean_install_row(second)) is True
    with connection.cursor() as cursor:  # prepared on this session (warehouse/sql_files.py)
        cursor.execute("select name from pg_prepared_statements")
        names = [name for (name,) in cursor.fetchall()]
    assert [name for name in names if name.startswith("install_upsert_one__")], names
    connection.close()
    assert installs.upsert_install(installs.clean_install_row(third)) is True
    assert installs.upsert_install(installs.clean_install_row(third)) is False

    assert stored_aggregates() == expected_aggregates([second, third])


@pytest.mark.django_db(transaction=True)
def test_a_single_install_and_its_funnel_delta_take_one_round_trip():
    """Outside a transaction (the callback), upsert_install sends the install, its install
    marts and the channel funnel's users' delta in one query string, committed together: the
    user is counted in the funnel cell of their first install, and a later, earlier install
    moves them there."""
    from django.test.utils import CaptureQueriesContext

    later = install_row("rt-2", user_id="rita", installed_at="2025-08-02T10:00:00+00:00")
    earlier = install_row(
        "rt-1", user_id="rita", installed_at="2025-08-01T10:00:00+00:00", channel_name="tiktok"
    )
    connection.ensure_connection()
    for row in (later, earlier):
        with CaptureQueriesContext(connection) as queries:
            assert installs.upsert_install(installs.clean_install_row(row)) is True
        assert len(queries) == 1, [query["sql"][:80] for query in queries]
        with connection.cursor() as cursor:
            cursor.execute(
                "select counted.date_sk, channel.channel_name, counted.os_name "
                "from fact_funnel_user as counted "
                "inner join dim_channel as channel on channel.channel_sk = counted.channel_id "
                "where counted.user_id = 'rita'"
            )
            date_sk = int(row["installed_at"][:10].replace("-", ""))
            assert cursor.fetchall() == [(date_sk, row["channel_name"], row["os_name"])]
            cursor.execute(
                "select sum(users) from fact_channel_funnel_day where date_sk = %s", [date_sk]
            )
            assert cursor.fetchone() == (1,)
    assert installs.upsert_install(installs.clean_install_row(later)) is False
    assert stored_aggregates() == expected_aggregates([later, earlier])
