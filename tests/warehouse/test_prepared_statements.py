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
    sql_files._PREPARED_TEXTS.clear()

    def pick(flag):
        with connection.cursor() as cursor:
            sql_files._run(cursor, connection, "pick", {"flag": flag, "ids": ["a"]}, tmp_path, True)
            return cursor.fetchone()

    assert pick(True) == (True, ["a"])
    assert len(sql_files._PREPARED_TEXTS) == 1
    assert pick(True) == (True, ["a"])
    assert len(sql_files._PREPARED_TEXTS) == 1  # reused
    assert pick(1) == (1, ["a"])  # not the text made for True
    assert len(sql_files._PREPARED_TEXTS) == 2
    names = [name for name in prepared_on_session() if name.startswith("pick__")]
    assert len(names) == 2


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "plain"])
def test_carried_parameters_read_what_an_earlier_statement_of_the_round_trip_left(
    tmp_path, settings, prepared
):
    settings.WAREHOUSE_PREPARED_STATEMENTS = prepared
    (tmp_path / "remember.sql").write_text(
        "select set_config('stripe_dwh.test_ids', %(ids)s::text[]::text, true) as ids,"
        " set_config('stripe_dwh.test_day', %(day)s::date::text, true) as day"
    )
    (tmp_path / "recall.sql").write_text(
        "select %(ids)s::text[] as ids, %(day)s::date as day, %(unset)s::text[] as unset,"
        " %(unset_day)s::date as unset_day"
    )
    carried = {
        "ids": sql_files.Carried("stripe_dwh.test_ids", "text[]", plus=("known",)),
        "day": sql_files.Carried("stripe_dwh.test_day", "date"),
        "unset": sql_files.Carried("stripe_dwh.test_unset", "text[]"),
        "unset_day": sql_files.Carried("stripe_dwh.test_unset_day", "date"),
    }

    def recall(ids, day):
        return sql_files.fetch(
            "recall",
            carried,
            before=[("remember", {"ids": ids, "day": day})],
            directory=tmp_path,
            prepared=True,
        )

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        first = recall(["a", "b%"], dt.date(2026, 5, 1))
        second = recall([], dt.date(2026, 5, 2))
    assert first == [(["known", "a", "b%"], dt.date(2026, 5, 1), [], None)]
    assert second == [(["known"], dt.date(2026, 5, 2), [], None)]
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) == 2  # one round trip each
    assert all(("execute " in sql) == prepared for sql in statements)


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "plain"])
def test_a_conditional_call_runs_only_when_its_condition_holds_after_the_calls_before_it(
    settings, prepared
):
    settings.WAREHOUSE_PREPARED_STATEMENTS = prepared
    DimDate.objects.all().delete()

    def days(first: int, last: int) -> dict:
        return {"first_day": dt.date(2026, 1, first), "last_day": dt.date(2026, 1, last)}

    def written(day: int) -> str:
        return f"exists (select 1 from dim_date where date = '2026-01-{day:02d}')"

    with transaction.atomic():
        sql_files.execute_all(
            [
                ("dim_date_fill", days(1, 3)),
                # true only once the first call has run (a % sits in it as written); the two
                # calls of one condition run under one test of it
                sql_files.Conditional(
                    "dim_date_fill", days(10, 11), written(3) + " and '5%' like '5%'"
                ),
                sql_files.Conditional(
                    "dim_date_fill", days(11, 12), written(3) + " and '5%' like '5%'"
                ),
                # false: no call before it writes that day
                sql_files.Conditional("dim_date_fill", days(20, 21), written(25)),
                sql_files.Conditional("dim_date_fill", days(22, 22), written(25)),
                sql_files.Conditional("dim_date_fill", days(25, 25), written(12)),
            ],
            prepared=True,
        )
    filled = DimDate.objects.order_by("date").values_list("date", flat=True)
    assert [day.day for day in filled] == [1, 2, 3, 10, 11, 12, 25]
