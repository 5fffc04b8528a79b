"""Step "import": `manage.py import_installs` on a generated CSV, rows/s and peak memory.

The CSV follows the shared install file format (COMMON.md), with new install ids, so every
row is inserted. The command runs as a child process; its peak RSS is sampled every 20 ms
(psutil). It runs on a tenth of the file and on the whole file:
bounded memory means the two peaks are about the same. The imported rows are deleted after.
"""

import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtools.business.generator import BusinessGenerator, SerialIds
from devtools.business.stripe_objects import install_row
from warehouse.install_format import INSTALL_FIELDS

PROJECT_DIR = Path(__file__).resolve().parent.parent
COLUMNS = list(INSTALL_FIELDS)  # the install row format (warehouse/install_format.py)
ID_PREFIX = "imp_bench"
TARGET_ROWS_PER_S = 50_000


def write_csv(path: Path, rows: int, seed: int = 11, end: dt.datetime | None = None) -> float:
    """`rows` installs of the synthetic business (devtools/business/generator.py) over two
    years, numbered apart from the generated dataset's (ID_PREFIX)."""
    end = (end or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    business = BusinessGenerator(
        seed=seed, start=end - dt.timedelta(days=730), end=end, ids=SerialIds(ID_PREFIX), months=24
    )
    started = time.perf_counter()
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        written = number = 0
        while written < rows:
            number += 1
            for install in business.user(number)[1][: rows - written]:
                writer.writerow(install_row(install))
                written += 1
    return time.perf_counter() - started


def _delete_imported() -> int:
    from django.db import connection

    from warehouse.services.installs import refresh_install_aggregates

    with connection.cursor() as cursor:
        cursor.execute(
            "delete from fact_user_acquisition where install_id like %s", [ID_PREFIX + "%"]
        )
        cursor.execute("delete from fact_install where install_id like %s", [ID_PREFIX + "%"])
        removed = cursor.rowcount
    # the imported installs were counted in the install pre-aggregates (and may have been
    # some users' first installs): recompute them from the installs left
    refresh_install_aggregates()
    return removed


def import_file(path: Path, rows: int, extra_args: tuple = ()) -> dict:
    """Run import_installs as a child; wall time, exit code, peak RSS of that child."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_installs", str(path), "--format", "csv", *extra_args],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Peak RSS by sampling the child (every 20 ms): the kernel's ru_maxrss of a forked child
    # also counts the parent's pages at fork time, which is large after `generate`.
    import threading

    import psutil

    peak = {"rss": 0}
    done = threading.Event()

    def sample():
        child = psutil.Process(process.pid)
        while not done.is_set():
            try:
                peak["rss"] = max(peak["rss"], child.memory_info().rss)
            except psutil.Error:
                break
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = b""
    for line in process.stdout:
        output += line
    process.wait()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "exit_code": process.returncode,
        "peak_rss_mb": round(peak["rss"] / 2**20, 1),
        "summary": lines[-1] if lines else "",
        "output_tail": lines[-5:],
    }


def parse_only(path: Path) -> dict:
    """Rows/s of the import's Python side alone (read, validate, stage as CSV; no database).

    Uses the service's internal batch preparation, so it splits the import's time between
    Python and PostgreSQL; reports n/a if those internals are renamed.
    """
    from django.utils import timezone

    try:
        from warehouse.services import installs

        prepare, read_csv = installs._prepare_batches, installs.read_csv_rows
        batch_size = installs.DEFAULT_BATCH_SIZE
    except (ImportError, AttributeError) as error:
        return {"error": f"n/a: {error}"}
    started = time.perf_counter()
    rows = 0
    with path.open("rb") as handle:
        for batch in prepare(read_csv(handle), batch_size, timezone.now()):
            rows += batch.size
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def run(rows: int) -> dict:
    from django.db import connection

    print(
        f"import: import_installs on generated CSVs of {rows // 10:,} and {rows:,} rows", flush=True
    )
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-installs-") as directory:
        for label, size in (("tenth", max(1, rows // 10)), ("full", rows)):
            path = Path(directory) / f"installs-{size}.csv"
            written = write_csv(path, size)
            _delete_imported()
            result = import_file(path, size)
            with connection.cursor() as cursor:
                cursor.execute(
                    "select count(*) from fact_install where install_id like %s",
                    [ID_PREFIX + "%"],
                )
                result["rows_in_table"] = cursor.fetchone()[0]
            result["csv_write_seconds"] = round(written, 1)
            result["csv_mb"] = round(path.stat().st_size / 1e6, 1)
            if label == "tenth":
                # The same file with ten times larger transactions (the command's option).
                _delete_imported()
                big = import_file(path, size, ("--batch-size", "50000"))
                result["batch_size_50000"] = big
                print(
                    f"  {size:>9,} rows with --batch-size 50000: {big['seconds']:7.1f} s = "
                    f"{big['rows_per_s']:>8,} rows/s, peak RSS {big['peak_rss_mb']} MB",
                    flush=True,
                )
                result["python_side_only"] = parse_only(path)
                print(
                    f"  python side only (read + validate + stage CSV, no database): "
                    f"{result['python_side_only']}",
                    flush=True,
                )
            results[label] = result
            print(
                f"  {size:>9,} rows ({result['csv_mb']} MB): {result['seconds']:7.1f} s = "
                f"{result['rows_per_s']:>8,} rows/s, peak RSS {result['peak_rss_mb']} MB, exit "
                f"{result['exit_code']}, {result['rows_in_table']:,} rows stored | "
                f"{result['summary']}",
                flush=True,
            )
    removed = _delete_imported()
    with connection.cursor() as cursor:
        # Leave the table as the report step found it (no million dead rows to skip).
        cursor.execute("vacuum analyze fact_install")
    full, tenth = results["full"], results["tenth"]
    ok = full["exit_code"] == 0 and full["rows_in_table"] == rows
    growth = full["peak_rss_mb"] / tenth["peak_rss_mb"] if tenth["peak_rss_mb"] else None
    return {
        **results,
        "memory_growth_full_vs_tenth": round(growth, 2) if growth else None,
        "deleted_after": removed,
        "target_met": ok and full["rows_per_s"] >= TARGET_ROWS_PER_S and (growth or 9) < 1.5,
    }
