"""The flush's prepared statements (warehouse/sql_files.py, `prepared=True`).

A statement is prepared once per session and then executed; its answers equal those of the
same file run as a plain statement; a transaction that fails around a prepare (which a
rollback does not undo) leaves the session usable; a new session prepares again; and
WAREHOUSE_PREPARED_STATEMENTS = False runs the plain text.
"""

import datetime as dt

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from warehouse import sql_files
from warehouse.models import DimDate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def session_without_prepared_statements():
    """Earlier tests on this connection may have prepared the same files."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("deallocate all")
    connection.prepared_statements.clear()


def prepared_on_session() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select name from pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def fill(first_day, last_day, **kwargs):
    return sql_files.execute(
        "dim_date_fill", {"first_day": first_day, "last_day": last_day}, **kwargs
    )


def test_prepared_once_per_session_then_executed_with_the_plain_statements_answers():
    DimDate.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        assert fill(dt.date(2026, 1, 1), dt.date(2026, 1, 10), prepared=True) == 10
        assert fill(dt.date(2026, 1, 5), dt.date(2026, 1, 20), prepared=True) == 10
    first, second = (query["sql"] for query in queries.captured_queries)
    assert first.count("prepare ") == 1 and "insert into dim_date" in first
    assert "prepare " not in second and second.count('execute "dim_date_fill__') == 1
    names = prepared_on_session()
    assert len([name for name in names if name.startswith("dim_date_fill__")]) == 1
    assert connection.prepared_statements <= names  # what the session believes it has
    # the same rows as the plain statement writes
    prepared_rows = list(DimDate.objects.order_by("date_sk").values_list())
    DimDate.objects.all().delete()
    assert fill(dt.date(2026, 1, 1), dt.date(2026, 1, 20)) == 20
    assert list(DimDate.objects.order_by("date_sk").values_list()) == prepared_rows


def test_a_failed_execution_of_a_new_prepare_leaves_the_session_usable(tmp_path):
    # prepared (the divisor is bound at EXECUTE), then failing at its first execution
    (tmp_path / "divide.sql").write_text("select 100 / (%(divisors)s::int[])[1] as answer")

    def divide(divisors):
        return sql_files.fetch_one(
            "divide", {"divisors": divisors}, directory=tmp_path, prepared=True
        )["answer"]

    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        divide([0])
    # PREPARE is not undone by the rollback: the next call must not prepare it twice
    assert any(name.startswith("divide__") for name in prepared_on_session())
    with transaction.atomic():
        assert divide([4]) == 25
    with transaction.atomic():
        assert divide([5]) == 20
    assert len([name for name in prepared_on_session() if name.startswith("divide__")]) == 1


def test_a_new_session_prepares_again():
    fill(dt.date(2026, 3, 1), dt.date(2026, 3, 2), prepared=True)
    assert connection.prepared_statements
    connection.close()
    connection.ensure_connection()
    assert connection.prepared_statements == set()
    with CaptureQueriesContext(connection) as queries:
        fill(dt.date(2026, 3, 1), dt.date(2026, 3, 3), prepared=True)
    assert "prepare " in queries.captured_queries[0]["sql"]


def test_off_runs_the_plain_statement(settings):
    settings.WAREHOUSE_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        fill(dt.date(2026, 4, 1), dt.date(2026, 4, 2), prepared=True)
    (query,) = queries.captured_queries
    assert "prepare " not in query["sql"] and "execute " not in query["sql"]
    assert "insert into dim_date" in query["sql"]


def test_prepared_texts_are_made_once_per_file_and_folded_values(tmp_path):
    """The prepared text is cached per file, bound names and folded-in values: the same
    call again reuses it; another folded-in value (even one equal to it, such as 1 and
    True, which fold to different SQL) makes another statement."""
    (tmp_path / "pick.sql").write_text("select %(flag)s as flag, %(ids)s::text[] as ids")
    sql_files._prepared_texts.clear()

    def pick(flag):
        with connection.cursor() as cursor:
            sql_files._run(cursor, connection, "pick", {"flag": flag, "ids": ["a"]}, tmp_path, True)
            return cursor.fetchone()

    assert pick(True) == (True, ["a"])
    assert len(sql_files._prepared_texts) == 1
    assert pick(True) == (True, ["a"])
    assert len(sql_files._prepared_texts) == 1  # reused
    assert pick(1) == (1, ["a"])  # not the text made for True
    assert len(sql_files._prepared_texts) == 2
    names = [name for name in prepared_on_session() if name.startswith("pick__")]
    assert len(names) == 2
