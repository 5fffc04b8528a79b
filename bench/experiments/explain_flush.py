"""EXPLAIN (ANALYZE, BUFFERS) of each statement of a payments flush, as the flush runs them.

    BENCH_DATABASE_NAME=... .venv/bin/python -m bench.experiments.explain_flush [--charges N]

For the N most recent charges of the benchmark database (each flushed on its own, as a
`charge.succeeded` webhook does): its fact_transaction row is deleted, then the statements of
warehouse/services/payments.py `movement_flush_calls` run in order, each prepared and on its
generic plan (plan_cache_mode = force_generic_plan, as the flush forces it), Carried
parameters read from the settings fact_transaction leaves, each under EXPLAIN (ANALYZE,
BUFFERS). Everything runs in a transaction that is rolled back. Prints, per statement, the
execution time, the shared buffers hit + read of the whole plan, and the plan's nodes that
touched the most buffers; `--plans` prints the whole plans.
"""

import argparse
import re

from bench.db import setup

BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")


def buffers_of(line: str) -> int:
    match = BUFFERS.search(line)
    return sum(int(group or 0) for group in match.groups()) if match else 0


def node_of(plan: list[str], index: int) -> str:
    """The plan node a detail line (Buffers, Filter, ...) belongs to."""
    while index > 0 and "(cost=" not in plan[index]:
        index -= 1
    return plan[index].strip()[:110]


def explain_flush(charge_id: str, customer_id: str | None, show_plans: bool) -> list[tuple]:
    from django.db import connection

    from warehouse import sql_files
    from warehouse.services.payments import movement_flush_calls

    calls = movement_flush_calls([charge_id], [], [], [customer_id] if customer_id else [], [])
    rows = []
    with connection.cursor() as cursor:
        cursor.execute("delete from fact_transaction where stripe_id = %s", [charge_id])
        for name, params in calls:
            sql, arguments, new = sql_files._call(
                cursor, connection, name, params, sql_files.WAREHOUSE_SQL_DIR, True, [], False
            )
            head, execute = sql.rsplit('; execute "', 1)
            cursor.execute(
                f'{head}; explain (analyze, buffers) execute "{execute}', arguments or ()
            )
            if new:
                connection.prepared_statements.add(new)
            plan = [row[0] for row in cursor.fetchall()]
            executed = plan[: next(i for i, line in enumerate(plan) if line.startswith("Planning"))]
            total = next((buffers_of(line) for line in executed if "Buffers:" in line), 0)
            execution = next(line for line in plan if line.startswith("Execution Time"))
            costliest = sorted(
                (
                    (buffers_of(line), node_of(executed, index))
                    for index, line in enumerate(executed)
                    if "Buffers:" in line
                ),
                reverse=True,
            )[1:4]
            rows.append((name, execution, total, costliest))
            if show_plans:
                print(f"--- {name}\n" + "\n".join(plan), flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charges", type=int, default=3)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    setup(migrate=False)
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("select count(*) from fact_transaction")
        print(f"fact_transaction: {cursor.fetchone()[0]:,} rows", flush=True)
        cursor.execute(
            "select id, customer_id from djstripe_charge order by created desc, id limit %s",
            [args.charges],
        )
        charges = cursor.fetchall()
    for charge_id, customer_id in charges:
        with transaction.atomic():
            print(f"charge {charge_id} (customer {customer_id}):", flush=True)
            for name, execution, total, costliest in explain_flush(
                charge_id, customer_id, args.plans
            ):
                print(f"  {name}: {execution}, buffers {total}", flush=True)
                for buffers, node in costliest:
                    print(f"      {buffers:>6}  {node}", flush=True)
            transaction.set_rollback(True)


if __name__ == "__main__":
    main()
