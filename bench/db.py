"""The benchmark database: a separate database on the project's PostgreSQL server.

Everything in bench/ imports `setup()` first: it selects `bench.settings`, creates the
benchmark database when missing (the name comes from BENCH_DATABASE_NAME, default
`stripe_dwh_bench`) and applies migrations, so the dev and test databases stay untouched.
"""

import os
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def setup(migrate: bool = True) -> None:
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    _create_database_if_missing()
    if migrate:
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        elapsed = time.perf_counter() - started
        if elapsed > 5:
            print(f"migrated the benchmark database in {elapsed:.0f} s", flush=True)


def _settings_with_running_server() -> dict:
    """The default database's settings, HOST filled in (the embedded server starts lazily)."""
    from django.db import connection

    if hasattr(connection, "ensure_server"):  # stripe_dwh.db_backend: the embedded server
        connection.ensure_server()
    return connection.settings_dict


def _create_database_if_missing() -> None:
    import psycopg2
    from psycopg2 import sql

    db = _settings_with_running_server()
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    connection = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                print(f"creating database {db['NAME']}", flush=True)
                cursor.execute(sql.SQL("create database {}").format(sql.Identifier(db["NAME"])))
    finally:
        connection.close()


def psql_command() -> list[str]:
    """psql for the benchmark database (pgserver's own binary when the server is embedded)."""

    db = _settings_with_running_server()
    binary = "psql"
    host = db.get("HOST") or ""
    if host.startswith("/"):
        import pgserver

        binary = str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql")
    command = [binary, "-X", "-d", db["NAME"], "-U", db.get("USER") or "postgres"]
    if host:
        command += ["-h", host]
    if db.get("PORT"):
        command += ["-p", str(db["PORT"])]
    return command
