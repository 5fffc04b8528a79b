"""Step "rebuild": `rebuild_warehouse` at scale beside plain INSERT ... SELECT of the same rows.

1. Lower bound: empty the warehouse payments tables, then fill dim_customer,
   dim_payment_method, fact_transaction (bench/sql/lower_bound_*.sql), then fact_customer_month
   and its report aggregates with the warehouse's own full recompute (refresh_customer_months(None),
   set-based, the same statement the rebuild runs), in one transaction.
   Rows/s = rows written / time.
2. `rebuild_warehouse` on the emptied warehouse (from scratch), then again on the current
   warehouse (the idempotent re-run: nothing should change).
3. The per-table row counts and money totals of both are compared: a difference means the
   rebuild and the lower bound read dj-stripe's rows differently (reported, not hidden).
"""

import io
import re
import time
from pathlib import Path

# rebuild_warehouse from scratch against the INSERT … SELECT lower bound (issue 17)
TARGET_RATIO = 0.8
SQL_DIR = Path(__file__).resolve().parent / "sql"
PAYMENT_TABLES = ["fact_customer_month", "fact_transaction", "dim_payment_method", "dim_customer"]
# The subscription and MRR tables whose foreign keys to dim_customer make the truncation of
# the payments tables (cascade) empty them too: the rebuild from an empty warehouse writes
# them from scratch as well (since issue 13), so the whole command's bound includes them.
# The bound writes their rows by plain INSERT … SELECT from a copy taken before (untimed):
# the cost of storing them (heap, indexes, keys) without deriving them, a stricter bound
# than the payments tables' (which derive their rows from dj-stripe's tables).
MRR_TABLES = [
    "fact_invoice_line",
    "fact_mrr_change",
    "fact_mrr_movement",
    "mart_mrr_customer_month",
]
CHECKSUM_SQL = {
    "dim_customer": "select count(*), count(first_payment_at), count(user_id) from dim_customer",
    "dim_payment_method": "select count(*), count(card_last4), 0 from dim_payment_method",
    "fact_transaction": "select count(*), coalesce(sum(amount), 0), "
    "coalesce(sum(settlement_amount), 0) from fact_transaction",
    "fact_customer_month": "select count(*), coalesce(sum(net), 0), coalesce(sum(charge_count), 0) "
    "from fact_customer_month",
}


def _empty_payment_tables(cursor) -> None:
    cursor.execute(f"truncate {', '.join(PAYMENT_TABLES)} restart identity cascade")


def _checksums(cursor) -> dict:
    sums = {}
    for table, sql in CHECKSUM_SQL.items():
        cursor.execute(sql)
        sums[table] = [int(v) for v in cursor.fetchone()]
    return sums


def lower_bound() -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    from warehouse.calendar import reporting_time_zone_name
    from warehouse.models import FactCustomerMonth
    from warehouse.services import refresh_customer_months
    from warehouse.sql_files import load

    params = {
        "time_zone": reporting_time_zone_name(),
        "user_id_key": settings.WAREHOUSE_USER_ID_METADATA_KEY,
        "all_customers": True,
        "customer_ids": [],
    }
    statements = [
        (table, load(f"lower_bound_{table}", SQL_DIR))
        for table in ("dim_customer", "dim_payment_method", "fact_transaction")
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table in MRR_TABLES:  # the rows the MRR part of the bound writes (untimed)
            cursor.execute(f"create temporary table bound_{table} as select * from {table}")
        _empty_payment_tables(cursor)
        rows, per_table = 0, {}
        started = time.perf_counter()
        for table, sql in statements:
            table_started = time.perf_counter()
            cursor.execute(sql, params)
            per_table[table] = {
                "rows": cursor.rowcount,
                "seconds": round(time.perf_counter() - table_started, 2),
            }
            rows += cursor.rowcount
        table_started = time.perf_counter()
        refresh_customer_months(None)
        month_rows = FactCustomerMonth.objects.count()
        per_table["fact_customer_month"] = {
            "rows": month_rows,
            "seconds": round(time.perf_counter() - table_started, 2),
        }
        rows += month_rows
    # After the commit: deferred foreign keys are checked there, as in the rebuild.
    seconds = time.perf_counter() - started
    # The MRR tables in a transaction of their own (their keys checked at its commit), so the
    # payments bound stays what it was before they joined.
    mrr_started = time.perf_counter()
    mrr_rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for table in MRR_TABLES:
            table_started = time.perf_counter()
            cursor.execute(f"insert into {table} select * from bound_{table}")
            per_table[table] = {
                "rows": cursor.rowcount,
                "seconds": round(time.perf_counter() - table_started, 2),
            }
            mrr_rows += cursor.rowcount
            cursor.execute(f"drop table bound_{table}")
    all_seconds = seconds + time.perf_counter() - mrr_started
    with connection.cursor() as cursor:
        checksums = _checksums(cursor)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "tables": per_table,
        "checksums": checksums,
        "mrr_rows": mrr_rows,
        "all_rows": rows + mrr_rows,
        "all_seconds": round(all_seconds, 2),
        "all_rows_per_s": round((rows + mrr_rows) / all_seconds),
    }


def _mrr_rows(cursor) -> int:
    total = 0
    for table in MRR_TABLES:
        cursor.execute(f"select count(*) from {table}")
        total += cursor.fetchone()[0]
    return total


ANALYZED_TABLES = "dim_customer, dim_payment_method, fact_transaction, fact_customer_month"


def _empty_with_stale_statistics() -> None:
    """Empty the payments tables and analyze them (a clean, reproducible start).

    Not the worst case: an empty file (relpages 0) makes the planner estimate from the
    table's size at plan time. The worst case is autovacuum analyzing a table while the
    rebuild's transaction fills it (it cannot see those rows: reltuples 0, relpages > 0);
    that happened in this benchmark's first full-scale run (see docs/benchmarks.md) and
    depends on autovacuum's timing, so it is described there rather than forced here.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        _empty_payment_tables(cursor)
        cursor.execute(f"analyze {ANALYZED_TABLES}")


def rebuild(mode: str, timeout_seconds: int) -> dict:
    """Time one rebuild. Modes:

    - "scratch": `manage.py rebuild_warehouse` as shipped, into emptied tables;
    - "scratch_analyze": the same service with `ANALYZE` of the tables it has written run
      inside its transaction after the fact upserts (the suggested fix, injected through
      the service's progress callback, so the app's code is unchanged);
    - "rerun": the command again on a current warehouse (idempotent: nothing changes).
    Every statement is bounded by statement_timeout so a pathological plan cannot hang the run.
    """
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import DatabaseError, connection

    if mode.startswith("scratch"):
        _empty_with_stale_statistics()
    output = io.StringIO()
    with connection.cursor() as cursor:
        cursor.execute(f"set statement_timeout = '{int(timeout_seconds)}s'")
    started = time.perf_counter()
    try:
        if mode == "scratch_analyze":
            from warehouse.services import rebuild_warehouse

            def progress(message: str) -> None:
                output.write(f"[{time.perf_counter() - started:7.1f}s] {message}\n")
                if message.startswith("movements without a source:"):
                    with connection.cursor() as cursor:
                        cursor.execute(f"analyze {ANALYZED_TABLES}")
                    output.write(f"[{time.perf_counter() - started:7.1f}s] (bench) analyzed\n")

            summary = rebuild_warehouse(progress=progress)
            output.write(f"{summary}\n")
        else:
            call_command("rebuild_warehouse", stdout=output, stderr=output)
    except (CommandError, DatabaseError) as error:
        seconds = time.perf_counter() - started
        return {
            "error": f"{type(error).__name__}: {error}".strip()[:300],
            "seconds": round(seconds, 1),
            "output": output.getvalue().splitlines()[-12:],
        }
    finally:
        with connection.cursor() as cursor:
            cursor.execute("reset statement_timeout")
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        checksums = _checksums(cursor)
        mrr_rows = _mrr_rows(cursor)
    rows = sum(values[0] for values in checksums.values())
    lines = [line for line in output.getvalue().splitlines() if line.strip()]
    payments_seconds = _payments_part_seconds(lines)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        # the part the lower bound also does: the payments tables and their marts, before
        # the subscriptions step (whose rows the bound neither writes nor counts)
        "payments_seconds": payments_seconds,
        "payments_rows_per_s": round(rows / payments_seconds) if payments_seconds else None,
        "checksums": checksums,
        # the whole command's rows: the payments tables' and the MRR tables' the bound writes
        "mrr_rows": mrr_rows,
        "all_rows": rows + mrr_rows,
        "all_rows_per_s": round((rows + mrr_rows) / seconds),
        "summary": lines[-1] if lines else "",
        "output": lines[-45:],
    }


PAYMENTS_DONE = re.compile(r"^\[\s*([0-9.]+)s\] customer months: ")


def _payments_part_seconds(lines: list[str]) -> float | None:
    """When the rebuild's progress said the payments marts were done (its
    "[   19.9s] customer months: N rows" line), None if it did not."""
    for line in lines:
        match = PAYMENTS_DONE.match(line)
        if match:
            return float(match.group(1))
    return None


def _describe(label: str, result: dict) -> str:
    if "error" in result:
        return f"  {label:<28} FAILED after {result['seconds']} s: {result['error']}"
    return (
        f"  {label:<28} {result['rows']:>10,} rows in {result['seconds']:7.1f} s = "
        f"{result['rows_per_s']:>9,} rows/s; the payments part (as the bound) in "
        f"{result['payments_seconds']} s = {result['payments_rows_per_s']} rows/s"
    )


def run(timeout_seconds: int = 180, with_analyze_variant: bool = False) -> dict:
    print("rebuild: plain INSERT ... SELECT lower bound, then rebuild_warehouse", flush=True)
    bound = lower_bound()
    print(
        f"  {'lower bound (INSERT SELECT)':<28} {bound['rows']:>10,} rows in "
        f"{bound['seconds']:7.1f} s = {bound['rows_per_s']:>9,} rows/s  {bound['tables']}",
        flush=True,
    )
    print(
        f"  {'bound with the MRR tables':<28} {bound['all_rows']:>10,} rows in "
        f"{bound['all_seconds']:7.1f} s = {bound['all_rows_per_s']:>9,} rows/s",
        flush=True,
    )
    results = {"lower_bound": bound}
    modes = [
        ("scratch", "rebuild_warehouse (empty)"),
        ("scratch_analyze", "rebuild + ANALYZE (empty)"),
        ("rerun", "rebuild_warehouse (re-run)"),
    ]
    for mode, label in modes:
        if mode == "scratch_analyze" and not with_analyze_variant:
            continue
        results[mode] = result = rebuild(mode, timeout_seconds)
        print(_describe(label, result), flush=True)
        if "error" in result:
            for line in result["output"][-6:]:
                print(f"      {line}", flush=True)
        if mode.startswith("scratch") and "error" in result:
            # The failed rebuild rolled back into empty tables: put a complete warehouse back.
            lower_bound()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"vacuum analyze {ANALYZED_TABLES}")
    scratch = results["scratch"]
    reference = scratch if "error" not in scratch else results.get("scratch_analyze", scratch)
    mismatches = {}
    if "error" not in reference:
        mismatches = {
            table: {
                "lower_bound": bound["checksums"][table],
                "rebuild": reference["checksums"][table],
            }
            for table in CHECKSUM_SQL
            if bound["checksums"][table] != reference["checksums"][table]
        }
        if mismatches:
            print(f"  ! rebuild and lower bound differ: {mismatches}", flush=True)
    ratio = (scratch["rows_per_s"] / bound["rows_per_s"]) if "error" not in scratch else 0.0
    payments_ratio = (
        scratch["payments_rows_per_s"] / bound["rows_per_s"]
        if "error" not in scratch and scratch["payments_rows_per_s"]
        else 0.0
    )
    whole_ratio = (
        scratch["all_rows_per_s"] / bound["all_rows_per_s"]
        if "error" not in scratch and bound["all_rows_per_s"]
        else 0.0
    )
    fixed = results.get("scratch_analyze", {"error": "not run"})
    return {
        **results,
        "rebuild": scratch,
        "speed_ratio": round(ratio, 2),
        "payments_speed_ratio": round(payments_ratio, 2),
        # the whole command (payments and MRR tables) against the bound of both
        "whole_speed_ratio": round(whole_ratio, 2),
        "speed_ratio_with_analyze": (
            round(fixed["rows_per_s"] / bound["rows_per_s"], 2) if "error" not in fixed else None
        ),
        # the same work as the bound: the payments part (the whole rebuild also rebuilds
        # subscriptions and MRR, which the bound does not)
        "target_met": payments_ratio >= TARGET_RATIO,
        "mismatches": mismatches,
    }
