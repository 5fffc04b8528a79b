"""Time shipped report queries against rewrites on pre-aggregates; check they agree.

    .venv/bin/python -m bench.experiments            # on the data in the benchmark database

Default page parameters: the last 12 full months plus the current one, as the pages use.
"""

import datetime as dt
import json
import time
from pathlib import Path

from bench.db import setup
from bench.stats import summary_ms

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent.parent
RESULTS_DIR = HERE.parent / "results"
SETUPS = ["setup_previous_payment_month", "setup_first_installs"]


def _month_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _time(sql: str, params: dict, runs: int = 5, work_mem: str | None = None):
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if work_mem:
            cursor.execute(f"set local work_mem = '{work_mem}'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            seconds.append(time.perf_counter() - started)
    return rows, summary_ms(seconds)


def main():
    setup(migrate=False)
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select max(occurred_at) from fact_transaction")
        as_of = cursor.fetchone()[0].date()
        cursor.execute("create schema if not exists bench_experiment")
        for name in SETUPS:
            started = time.perf_counter()
            cursor.execute((HERE / f"{name}.sql").read_text())
            print(f"{name}: {time.perf_counter() - started:.1f} s", flush=True)
    current_month = as_of.replace(day=1)
    first_month = _month_back(current_month, 12)
    month_params = {"first_month": first_month, "last_month": current_month,
                    "current_month": current_month}
    day_params = {"first_day": first_month, "last_day": as_of, "time_zone": settings.TIME_ZONE}
    pairs = [
        ("ltv_summary", "ltv_summary_rewritten", month_params),
        ("monthly_metrics", "monthly_metrics_rewritten", month_params),
        ("customer_flow", "customer_flow_rewritten", month_params),
        ("channel_funnel", "channel_funnel_rewritten", day_params),
    ]
    results = {}
    for shipped, rewritten, params in pairs:
        if not (PROJECT_DIR / "reports" / "sql" / f"{shipped}.sql").exists():
            print(f"{shipped:<16} no longer shipped: skipped", flush=True)
            continue
        shipped_rows, shipped_time = _time(
            (PROJECT_DIR / "reports" / "sql" / f"{shipped}.sql").read_text(), params)
        _, work_mem_time = _time(
            (PROJECT_DIR / "reports" / "sql" / f"{shipped}.sql").read_text(), params,
            work_mem="64MB")
        rewritten_rows, rewritten_time = _time((HERE / f"{rewritten}.sql").read_text(), params)
        same = shipped_rows == rewritten_rows
        results[shipped] = {"shipped": shipped_time, "shipped_work_mem_64mb": work_mem_time,
                            "rewritten": rewritten_time, "same_rows": same}
        print(f"{shipped:<16} shipped p50 {shipped_time['p50_ms']:8.1f} ms | with work_mem "
              f"64MB {work_mem_time['p50_ms']:8.1f} ms | rewritten p50 "
              f"{rewritten_time['p50_ms']:8.1f} ms | same rows: {same}", flush=True)
        if not same:
            print(f"   shipped:   {shipped_rows[:3]}\n   rewritten: {rewritten_rows[:3]}")
    with connection.cursor() as cursor:
        cursor.execute("drop schema bench_experiment cascade")
    (RESULTS_DIR / "experiments-latest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
