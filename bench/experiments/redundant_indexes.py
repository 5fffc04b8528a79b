"""What the redundant indexes of fact_transaction cost a bulk insert.

    .venv/bin/python -m bench.experiments.redundant_indexes

Inside a transaction that is rolled back (TRUNCATE and DROP INDEX are transactional, so the
benchmark database is left as it was): empty fact_transaction, insert all its rows with the
lower bound's INSERT ... SELECT, once with every index and once without the four that no query
needs (the three varchar_pattern_ops "_like" twins and customer_id alone, covered by
fact_txn_customer_idx). Deferred foreign keys are not checked (no commit), in both cases.
"""

import time
from pathlib import Path

from bench.db import setup

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
REDUNDANT = """
    select index.indexname
    from pg_indexes as index
    where index.tablename = 'fact_transaction'
        and (index.indexname like '%%\\_like' or index.indexdef like '%%(customer_id)')
"""


def timed_insert(drop_redundant: bool) -> tuple[float, list[str]]:
    from django.db import connection, transaction

    from warehouse.calendar import reporting_time_zone_name
    from warehouse.sql_files import load

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("truncate fact_customer_month, fact_transaction")
        dropped = []
        if drop_redundant:
            cursor.execute(REDUNDANT)
            dropped = [row[0] for row in cursor.fetchall()]
            for name in dropped:
                cursor.execute(f'drop index "{name}"')
        started = time.perf_counter()
        cursor.execute(
            load("lower_bound_fact_transaction", SQL_DIR),
            {"time_zone": reporting_time_zone_name()},
        )
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, dropped


def main():
    setup(migrate=False)
    for drop in (False, True, False, True):
        seconds, dropped = timed_insert(drop)
        label = f"without {', '.join(dropped)}" if drop else "with every index"
        print(f"fact_transaction INSERT ... SELECT {label}: {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
