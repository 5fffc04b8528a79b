"""Step "import": `manage.py import_installs` on a generated CSV, rows/s and peak memory.

The CSV follows the shared install file format (COMMON.md), with new install ids, so every
row is inserted. The command runs as a child process; its peak RSS (with its parser process's)
is sampled every 20 ms (psutil). It runs on a tenth of the file and on the whole file:
bounded memory means the two peaks are about the same. The imported rows are deleted after.
"""

import contextlib
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from devtools.business.generator import BusinessGenerator, SerialIds
from devtools.business.stripe_objects import install_row
from warehouse.install_format import INSTALL_FIELDS

PROJECT_DIR = Path(__file__).resolve().parent.parent
COLUMNS = list(INSTALL_FIELDS)  # the install row format (warehouse/install_format.py)
ID_PREFIX = "imp_bench"
TARGET_ROWS_PER_S = 100_000


def install_rows(
    rows: int, seed: int = 11, end: dt.datetime | None = None, id_prefix: str = ID_PREFIX
) -> Iterator[dict]:
    """`rows` installs of the synthetic business (devtools/business/generator.py) over two
    years, as install-format rows, numbered apart from the generated dataset's (id_prefix)."""
    end = (end or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    business = BusinessGenerator(
        seed=seed, start=end - dt.timedelta(days=730), end=end, ids=SerialIds(id_prefix), months=24
    )
    written = number = 0
    while written < rows:
        number += 1
        for install in business.user(number)[1][: rows - written]:
            yield install_row(install)
            written += 1


def write_csv(path: Path, rows: int, seed: int = 11, end: dt.datetime | None = None) -> float:
    started = time.perf_counter()
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(install_rows(rows, seed, end))
    return time.perf_counter() - started


def delete_installs(id_prefix: str = ID_PREFIX) -> int:
    """Delete the installs a benchmark stored (ids starting with id_prefix) and recompute the
    install aggregates; returns how many installs were deleted."""
    from django.db import connection

    from warehouse.services.installs import refresh_install_aggregates

    # (a sequential scan since fact_install keeps no pattern-ops index: untimed)
    with connection.cursor() as cursor:
        cursor.execute(
            "delete from fact_user_acquisition where install_id like %s", [id_prefix + "%"]
        )
        cursor.execute("delete from fact_install where install_id like %s", [id_prefix + "%"])
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
    # CPU time: the child's from its rusage, and that of the PostgreSQL backends serving it
    # (when the server runs on this machine), sampled: on a shared machine the wall time
    # mostly measures the other processes, the CPU time what the import itself costs.
    import resource
    import threading

    import psutil

    peak = {"rss": 0}
    backend_cpu: dict[int, float] = {}
    done = threading.Event()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def sample():
        child = psutil.Process(process.pid)
        backends: list[psutil.Process] = []
        ticks = 0
        while not done.is_set():
            try:
                # with the import's own parser process (warehouse/services/installs.py):
                # RSS summed, so pages the fork shares are counted twice (an upper bound)
                rss = child.memory_info().rss
                for parser in child.children(recursive=True):
                    with contextlib.suppress(psutil.Error):  # it may just have ended
                        rss += parser.memory_info().rss
                peak["rss"] = max(peak["rss"], rss)
            except psutil.Error:
                break
            if ticks % 25 == 0:
                backends = backends_started_since(child.create_time())
            for backend in backends:
                try:
                    times = backend.cpu_times()
                    backend_cpu[backend.pid] = times.user + times.system
                except psutil.Error:
                    pass
            ticks += 1
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
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    server_cpu = sum(backend_cpu.values())
    lines = [line for line in output.decode(errors="replace").splitlines() if line.strip()]
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "exit_code": process.returncode,
        "peak_rss_mb": round(peak["rss"] / 2**20, 1),
        "import_process_cpu_s": round(client_cpu, 2),
        "postgresql_backend_cpu_s": round(server_cpu, 2) if backend_cpu else None,
        # rows per second of CPU, both sides together: what one idle core would do
        "rows_per_cpu_s": round(rows / (client_cpu + server_cpu)),
        "summary": lines[-1] if lines else "",
        "output_tail": lines[-5:],
    }


def backends_started_since(moment: float) -> list:
    """The local PostgreSQL backends of the benchmark database started after `moment`."""
    import psutil
    from django.db import connection

    marker = f" {connection.settings_dict['NAME']} "
    found = []
    for process in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if cmdline.startswith("postgres:") and marker in cmdline:
            if (process.info["create_time"] or 0) >= moment - 1:
                found.append(process)
    return found


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


def bare_copy(path: Path) -> dict:
    """The ceiling of any import of this file: PostgreSQL's COPY of the same CSV, as text,
    into a temporary table with no index, no constraint and no WAL (nothing validated,
    nothing keyed, nothing aggregated), timed from the client, in the same run."""
    from django.db import connection, transaction

    columns = ", ".join(f"{name} text" for name in COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"create temporary table bench_install_copy ({columns}) on commit drop")
        started = time.perf_counter()
        with path.open("rb") as handle:
            cursor.copy_expert(
                "copy bench_install_copy from stdin with (format csv, header true)",
                handle,
                size=1 << 20,
            )
        seconds = time.perf_counter() - started
        cursor.execute("select count(*) from bench_install_copy")
        (rows,) = cursor.fetchone()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


FACT_INSTALL_COLUMNS = (
    "install_id, user_id, device_id, installed_at, date_sk, client_id, channel_id, "
    "country_code, network_name, campaign_name, adgroup_name, creative_name, campaign_id, "
    "adgroup_id, creative_id, ip_address"
)


def fact_install_floor() -> dict:
    """The floor of any import into this schema: the installs just imported, as fact_install
    rows (keys already resolved, under new install_ids), copied straight into fact_install
    with its indexes: no parsing, no validation, no dimensions, no aggregates, no funnel.
    Rolled back. Timed from the client, with the PostgreSQL backend's CPU time."""
    import psutil
    from django.db import connection, transaction

    with tempfile.TemporaryFile() as rows_file:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.copy_expert(
                f"copy (select 'floor-' || install_id, {FACT_INSTALL_COLUMNS.split(', ', 1)[1]} "
                f"from fact_install where install_id like '{ID_PREFIX}%') to stdout",
                rows_file,
            )
            rows_file.seek(0)
            cursor.execute("select pg_backend_pid()")
            backend = psutil.Process(cursor.fetchone()[0])
            cpu_before = sum(backend.cpu_times()[:2])
            started = time.perf_counter()
            cursor.copy_expert(
                f"copy fact_install ({FACT_INSTALL_COLUMNS}) from stdin", rows_file, size=1 << 20
            )
            seconds = time.perf_counter() - started
            cpu = sum(backend.cpu_times()[:2]) - cpu_before
            rows = cursor.rowcount
            transaction.set_rollback(True)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "postgresql_backend_cpu_s": round(cpu, 2),
    }


def _cpu(result: dict) -> str:
    return (
        f"CPU: import {result['import_process_cpu_s']} s + PostgreSQL "
        f"{result['postgresql_backend_cpu_s']} s = {result['rows_per_cpu_s']:,} rows per CPU-s"
    )


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
            delete_installs()
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
                delete_installs()
                big = import_file(path, size, ("--batch-size", "50000"))
                result["batch_size_50000"] = big
                print(
                    f"  {size:>9,} rows with --batch-size 50000: {big['seconds']:7.1f} s = "
                    f"{big['rows_per_s']:>8,} rows/s ({_cpu(big)}), peak RSS "
                    f"{big['peak_rss_mb']} MB",
                    flush=True,
                )
                result["python_side_only"] = parse_only(path)
                print(
                    f"  python side only (read + validate + stage CSV, no database): "
                    f"{result['python_side_only']}",
                    flush=True,
                )
            if label == "full":
                # the ceiling, right after the import, on the same file
                ceiling = result["bare_copy"] = bare_copy(path)
                result["ratio_to_bare_copy"] = round(
                    result["rows_per_s"] / ceiling["rows_per_s"], 3
                )
                print(
                    f"  bare COPY of the same CSV into an unindexed temporary table (the "
                    f"ceiling): {ceiling['seconds']:.1f} s = {ceiling['rows_per_s']:,} rows/s; "
                    f"the import is {result['ratio_to_bare_copy']}x of it",
                    flush=True,
                )
                floor = result["fact_install_floor"] = fact_install_floor()
                print(
                    f"  floor: the same installs written straight into fact_install and its "
                    f"indexes (COPY of resolved rows, nothing else): {floor['seconds']:.1f} s = "
                    f"{floor['rows_per_s']:,} rows/s, PostgreSQL CPU "
                    f"{floor['postgresql_backend_cpu_s']} s",
                    flush=True,
                )
            results[label] = result
            print(
                f"  {size:>9,} rows ({result['csv_mb']} MB): {result['seconds']:7.1f} s = "
                f"{result['rows_per_s']:>8,} rows/s ({_cpu(result)}), peak RSS "
                f"{result['peak_rss_mb']} MB, exit "
                f"{result['exit_code']}, {result['rows_in_table']:,} rows stored | "
                f"{result['summary']}",
                flush=True,
            )
    removed = delete_installs()
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
