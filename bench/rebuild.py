"""Step "rebuild": `rebuild_warehouse` at scale beside plain INSERT ... SELECT of the same rows.

1. Lower bound: empty the warehouse payments tables, then fill dim_customer,
   dim_payment_method, fact_transaction (bench/sql/lower_bound_*.sql) and fact_customer_month
   (the warehouse's own customer_months_upsert.sql, a plain INSERT ... SELECT into an empty
   table) in one transaction. Rows/s = rows written / time.
2. `rebuild_warehouse` on the emptied warehouse (from scratch), then again on the current
   warehouse (the idempotent re-run: nothing should change).
3. The per-table row counts and money totals of both are compared: a difference means the
   rebuild and the lower bound read dj-stripe's rows differently (reported, not hidden).
"""

import io
import time
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
PAYMENT_TABLES = ["fact_customer_month", "fact_transaction", "dim_payment_method", "dim_customer"]
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

    from warehouse import sql as warehouse_sql

    params = {
        "time_zone": settings.TIME_ZONE,
        "user_id_key": settings.WAREHOUSE_USER_ID_METADATA_KEY,
        "all_customers": True,
        "customer_ids": [],
    }
    statements = [
        ("dim_customer", (SQL_DIR / "lower_bound_dim_customer.sql").read_text()),
        ("dim_payment_method", (SQL_DIR / "lower_bound_dim_payment_method.sql").read_text()),
        ("fact_transaction", (SQL_DIR / "lower_bound_fact_transaction.sql").read_text()),
        ("fact_customer_month", warehouse_sql.load("customer_months_upsert")),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        _empty_payment_tables(cursor)
        rows, per_table = 0, {}
        started = time.perf_counter()
        for table, sql in statements:
            table_started = time.perf_counter()
            cursor.execute(sql, params)
            per_table[table] = {"rows": cursor.rowcount,
                                "seconds": round(time.perf_counter() - table_started, 2)}
            rows += cursor.rowcount
        seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        checksums = _checksums(cursor)
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "tables": per_table, "checksums": checksums}


def rebuild(empty_first: bool) -> dict:
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    if empty_first:
        with connection.cursor() as cursor:
            _empty_payment_tables(cursor)
    output = io.StringIO()
    started = time.perf_counter()
    try:
        call_command("rebuild_warehouse", stdout=output, stderr=output)
    except (CommandError, LookupError) as error:  # LookupError: unknown command (not merged)
        return {"error": f"{type(error).__name__}: {error}", "output": output.getvalue()[-2000:]}
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        checksums = _checksums(cursor)
    rows = sum(values[0] for values in checksums.values())
    lines = [line for line in output.getvalue().splitlines() if line.strip()]
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "checksums": checksums, "summary": lines[-1] if lines else ""}


def run() -> dict:
    print("rebuild: plain INSERT ... SELECT lower bound, then rebuild_warehouse", flush=True)
    bound = lower_bound()
    print(f"  lower bound      {bound['rows']:>10,} rows in {bound['seconds']:7.1f} s = "
          f"{bound['rows_per_s']:>9,} rows/s  {bound['tables']}", flush=True)
    from_scratch = rebuild(empty_first=True)
    if "error" in from_scratch:
        print(f"  rebuild_warehouse not runnable: {from_scratch['error']}", flush=True)
        # Put the warehouse back (the lower bound's rows) for the steps that follow.
        lower_bound()
        return {"lower_bound": bound, "rebuild": from_scratch, "target_met": False}
    print(f"  rebuild (empty)  {from_scratch['rows']:>10,} rows in {from_scratch['seconds']:7.1f} s"
          f" = {from_scratch['rows_per_s']:>9,} rows/s  | {from_scratch['summary']}", flush=True)
    again = rebuild(empty_first=False)
    print(f"  rebuild (re-run) {again['rows']:>10,} rows in {again['seconds']:7.1f} s = "
          f"{again['rows_per_s']:>9,} rows/s", flush=True)
    mismatches = {
        table: {"lower_bound": bound["checksums"][table], "rebuild": from_scratch["checksums"][table]}
        for table in CHECKSUM_SQL
        if bound["checksums"][table] != from_scratch["checksums"][table]
    }
    if mismatches:
        print(f"  ! rebuild and lower bound differ: {mismatches}", flush=True)
    ratio = from_scratch["rows_per_s"] / bound["rows_per_s"]
    return {
        "lower_bound": bound, "rebuild": from_scratch, "rebuild_rerun": again,
        "speed_ratio": round(ratio, 2), "target_met": ratio >= 0.5, "mismatches": mismatches,
    }
