"""The one loader and runner of `.sql` files (one statement per file).

The warehouse's files are in warehouse/sql/, the reports' in reports/sql/ (passed as
`directory`); the benchmarks use it for theirs. Files are read once per process.
"""

from functools import cache
from pathlib import Path

from django.db import connections

WAREHOUSE_SQL_DIR = Path(__file__).resolve().parent / "sql"


@cache
def load(name: str, directory: Path = WAREHOUSE_SQL_DIR) -> str:
    """The text of `directory/name.sql`."""
    return (Path(directory) / f"{name}.sql").read_text()


def execute(
    name: str, params: dict | None = None, *, directory: Path = WAREHOUSE_SQL_DIR, using="default"
) -> int:
    """Run one statement; returns the number of rows it wrote."""
    with connections[using].cursor() as cursor:
        cursor.execute(load(name, directory), params)
        return max(cursor.rowcount, 0)


def fetch(
    name: str, params: dict | None = None, *, directory: Path = WAREHOUSE_SQL_DIR, using="default"
) -> list[tuple]:
    """Run one query; returns its rows."""
    with connections[using].cursor() as cursor:
        cursor.execute(load(name, directory), params)
        return cursor.fetchall()


def fetch_dicts(
    name: str, params: dict | None = None, *, directory: Path = WAREHOUSE_SQL_DIR, using="default"
) -> list[dict]:
    """Run one query; returns one dict per row, keyed by the query's column names."""
    with connections[using].cursor() as cursor:
        cursor.execute(load(name, directory), params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(
    name: str, params: dict | None = None, *, directory: Path = WAREHOUSE_SQL_DIR, using="default"
) -> dict:
    """Run a statement that answers one row; returns it keyed by the column names."""
    with connections[using].cursor() as cursor:
        cursor.execute(load(name, directory), params)
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))
