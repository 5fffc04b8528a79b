"""The webhook's advisory lock rides on the next statement of the transaction
(stripe_dwh/postgresql/base.py `send_with_next_statement`, warehouse/sql_files.py
`execute_with_next_statement`): no round trip of its own, taken before that statement runs,
dropped with the transaction if nothing follows."""

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from warehouse import sql_files
from warehouse.services.locks import lock_event_subjects

pytestmark = pytest.mark.django_db(transaction=True)

CHARGE_EVENT = {"data": {"object": {"object": "charge", "id": "ch_lock1", "customer": "cus_lock1"}}}
ADVISORY_LOCKS = (
    "select count(*) from pg_locks"
    " where locktype = 'advisory' and pid = pg_backend_pid() and granted and %s = %s"
)


def advisory_locks(cursor) -> int:
    cursor.execute(ADVISORY_LOCKS, ["100%", "100%"])  # a parameter with a % on purpose
    return cursor.fetchone()[0]


def test_the_event_lock_is_sent_with_the_next_statement_and_taken_before_it():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        lock_event_subjects(CHARGE_EVENT)
        assert connection.with_next_statement  # nothing sent yet
        with connection.cursor() as cursor:
            locks = advisory_locks(cursor)
    assert locks == 2  # the customer and the charge, held when the next statement ran
    sent = [query["sql"] for query in queries.captured_queries if "pg_locks" in query["sql"]]
    assert len(sent) == 1 and "event_subjects_lock" in sent[0]
    assert not any(
        "event_subjects_lock" in query["sql"] and "pg_locks" not in query["sql"]
        for query in queries.captured_queries
    )
    assert not connection.with_next_statement


def test_a_lock_with_nothing_after_it_is_dropped_with_the_transaction():
    with transaction.atomic():
        lock_event_subjects(CHARGE_EVENT)
    assert connection.with_next_statement == []
    with transaction.atomic(), connection.cursor() as cursor:
        assert advisory_locks(cursor) == 0


def test_a_failed_round_trip_leaves_the_session_usable(tmp_path):
    (tmp_path / "lock.sql").write_text(
        "select pg_advisory_xact_lock(1, hashtext(x)) from unnest(%(ids)s::text[]) as x"
    )
    with pytest.raises(ProgrammingError), transaction.atomic():
        sql_files.execute_with_next_statement(
            "lock", {"ids": ["a"]}, directory=tmp_path, prepared=True
        )
        with connection.cursor() as cursor:
            cursor.execute("select * from no_such_table")
    # the prepare may or may not have run: the next prepare starts clean
    assert connection.prepared_statements_unknown
    with transaction.atomic():
        sql_files.execute_with_next_statement(
            "lock", {"ids": ["a", "b"]}, directory=tmp_path, prepared=True
        )
        with connection.cursor() as cursor:
            assert advisory_locks(cursor) == 2
    assert not connection.prepared_statements_unknown
