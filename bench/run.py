"""Run the benchmarks, print a table, write JSON under bench/results/.

    .venv/bin/python -m bench.run                         # small scale, every step (make bench)
    .venv/bin/python -m bench.run --scale full            # 1M charges (make bench SCALE=full)
    .venv/bin/python -m bench.run --scale 3m              # 3M charges (make bench SCALE=3m)
    .venv/bin/python -m bench.run --scale 100k            # 100k charges (the scaling table's base)
    .venv/bin/python -m bench.run --only reports          # one step on the data already generated
    .venv/bin/python -m bench.run --only generate,rebuild --scale full
    .venv/bin/python -m bench.run --only reports --scale mrr   # 100k subscriptions (issue 13)

Steps: generate, reports, rebuild, import, callback, webhooks (in that order). After a
reports step the scaling table compares each page at 100k, 1M and 3M charges (the latest
reports step of each scale, from bench/results/latest-<scale>.json). A step other than
`generate` reuses the data in the benchmark database; when the database is empty, or was
generated at another scale, `generate` runs first.
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import time
from pathlib import Path

from bench.db import setup

RESULTS_DIR = Path(__file__).resolve().parent / "results"
STEPS = ["generate", "reports", "rebuild", "import", "callback", "webhooks"]
SCALES = {
    "small": {
        "customers": 5_000,
        "charges": 50_000,
        "subscriptions": 5_000,
        "installs": 25_000,
        "import_rows": 100_000,
        "callback_installs": 2_000,
        "webhook_events": 120,
    },
    # 100,000 charges: the low end of the scaling table (issue 17), a tenth of "full".
    "100k": {
        "customers": 10_000,
        "charges": 100_000,
        "subscriptions": 10_000,
        "installs": 50_000,
        "import_rows": 100_000,
        "callback_installs": 2_000,
        "webhook_events": 120,
    },
    "full": {
        "customers": 100_000,
        "charges": 1_000_000,
        "subscriptions": 100_000,
        "installs": 500_000,
        "import_rows": 1_000_000,
        "callback_installs": 5_000,
        "webhook_events": 400,
    },
    # Issue 13's MRR scale: the full 100,000 subscriptions (24 months of invoice lines) for
    # 100,000 customers, with fewer one-off charges and installs, which the MRR page does
    # not read, so that generating it takes minutes, not an hour.
    "mrr": {
        "customers": 100_000,
        "charges": 100_000,
        "subscriptions": 100_000,
        "installs": 25_000,
        "import_rows": 100_000,
        "callback_installs": 2_000,
        "webhook_events": 120,
    },
    # 3,000,000 charges: three times "full" in every table (subscriptions in proportion), so
    # the scaling table shows whether a page's cost grows with history.
    "3m": {
        "customers": 300_000,
        "charges": 3_000_000,
        "subscriptions": 300_000,
        "installs": 1_500_000,
        "import_rows": 1_000_000,
        "callback_installs": 5_000,
        "webhook_events": 400,
    },
}


def machine() -> dict:
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        server_version = cursor.fetchone()[0]
        settings_of_interest = {}
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "max_parallel_workers_per_gather",
            "jit",
        ):
            cursor.execute(f"show {name}")
            settings_of_interest[name] = cursor.fetchone()[0]
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "postgresql": server_version,
        "postgresql_settings": settings_of_interest,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _dataset_scale() -> dict | None:
    """The sizes the benchmark database was generated with (None when empty)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select count(*) from djstripe_customer")
        customers = cursor.fetchone()[0]
        # The generator's one-off charges (subscription invoices' charges have an intent).
        cursor.execute("select count(*) from djstripe_charge where payment_intent_id is null")
        charges = cursor.fetchone()[0]
        cursor.execute("select count(*) from djstripe_subscription")
        subscriptions = cursor.fetchone()[0]
        cursor.execute("select count(*) from fact_install")
        installs = cursor.fetchone()[0]
    if not charges:
        return None
    return {
        "customers": customers,
        "charges": charges,
        "subscriptions": subscriptions,
        "installs": installs,
    }


def _git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=RESULTS_DIR.parent.parent,
        ).stdout.strip()
    except OSError:
        return ""


def _speed(speedup) -> str:
    """Baseline time / page query time, worded."""
    if not speedup:
        return ""
    return f"{speedup}x faster" if speedup >= 1 else f"{round(1 / speedup, 1)}x slower"


def table(results: dict) -> str:
    rows = [("step", "measure", "p50", "p95", "baseline / bound", "ratio", "target", "met")]

    def met(value):
        return "yes" if value else "NO"

    generated = results.get("generate")
    if generated:
        rows.append(
            ("generate", "all tables by COPY", f"{generated['seconds']:.0f} s", "", "", "", "", "")
        )
    reports = results.get("reports")
    if reports:
        for page in reports["pages"].values():
            status = "" if page["status"] == [200] else f" (HTTP {page['status']})"
            rows.append(
                (
                    f"page {page['path']}",
                    "full render" + status,
                    f"{page['page'].get('p50_ms')} ms",
                    f"{page['page'].get('p95_ms')} ms",
                    "",
                    "",
                    "page <= 100, queries <= 50 ms",
                    met(page["target_met"]),
                )
            )
            baseline = page["baseline_p50_ms"]
            rows.append(
                (
                    "",
                    f"its {page['query_count']} queries",
                    f"{page['queries'].get('p50_ms')} ms",
                    f"{page['queries'].get('p95_ms')} ms",
                    f"{baseline} ms" if baseline is not None else "n/a",
                    _speed(page["speedup_vs_baseline"]),
                    "",
                    "",
                )
            )
        for name, baseline in reports["baselines"].items():
            rows.append(
                (
                    "",
                    f"baseline {name}.sql",
                    f"{baseline.get('p50_ms')} ms",
                    f"{baseline.get('p95_ms')} ms",
                    "",
                    "",
                    "",
                    "",
                )
            )
    rebuild = results.get("rebuild")
    if rebuild:
        bound = rebuild["lower_bound"]
        rows.append(
            (
                "rebuild",
                f"INSERT ... SELECT lower bound ({bound['rows']:,} rows)",
                f"{bound['rows_per_s']:,} rows/s",
                f"{bound['seconds']} s",
                "",
                "",
                "",
                "",
            )
        )
        scratch = rebuild.get("scratch", {})
        if scratch.get("payments_rows_per_s"):
            rows.append(
                (
                    "",
                    "rebuild_warehouse's payments part (the bound's work)",
                    f"{scratch['payments_rows_per_s']:,} rows/s",
                    f"{scratch['payments_seconds']} s",
                    f"{bound['rows_per_s']:,} rows/s",
                    f"{rebuild['payments_speed_ratio']:.2f}x",
                    ">= 0.8 x bound",
                    met(rebuild["target_met"]),
                )
            )
        if scratch.get("all_rows_per_s") and bound.get("all_rows_per_s"):
            rows.append(
                (
                    "",
                    f"bound with the MRR tables ({bound['all_rows']:,} rows)",
                    f"{bound['all_rows_per_s']:,} rows/s",
                    f"{bound['all_seconds']} s",
                    "",
                    "",
                    "",
                    "",
                )
            )
            rows.append(
                (
                    "",
                    "rebuild_warehouse, whole, against it",
                    f"{scratch['all_rows_per_s']:,} rows/s",
                    f"{scratch['seconds']} s",
                    f"{bound['all_rows_per_s']:,} rows/s",
                    f"{rebuild['whole_speed_ratio']:.2f}x",
                    ">= 0.8 x bound",
                    met(rebuild["whole_speed_ratio"] >= 0.8),
                )
            )
        for mode, label in (
            ("scratch", "rebuild_warehouse, empty warehouse"),
            ("scratch_analyze", "same + ANALYZE inside (suggested fix)"),
            ("rerun", "rebuild_warehouse re-run (no change)"),
        ):
            built = rebuild.get(mode)
            if not built:
                continue
            if "error" in built:
                rows.append(
                    (
                        "",
                        label,
                        f"failed after {built['seconds']} s",
                        "",
                        "",
                        "",
                        ">= 0.8 x bound" if mode == "scratch" else "",
                        "NO" if mode == "scratch" else "",
                    )
                )
                continue
            ratio = built["rows_per_s"] / bound["rows_per_s"]
            rows.append(
                (
                    "",
                    label,
                    f"{built['rows_per_s']:,} rows/s",
                    f"{built['seconds']} s",
                    f"{bound['rows_per_s']:,} rows/s",
                    f"{ratio:.2f}x",
                    "",
                    "",
                )
            )
    imported = results.get("import")
    if imported:
        from bench import installs_import

        full = imported["full"]
        rows.append(
            (
                "import",
                f"import_installs ({full['rows']:,} rows)",
                f"{full['rows_per_s']:,} rows/s",
                "",
                "",
                "",
                f">= {installs_import.TARGET_ROWS_PER_S:,} rows/s",
                met(imported["target_met"]),
            )
        )
        if full.get("rows_per_cpu_s"):
            rows.append(
                (
                    "",
                    "CPU: import process + its PostgreSQL backend",
                    f"{full['rows_per_cpu_s']:,} rows/CPU-s",
                    f"{full['import_process_cpu_s']} + {full['postgresql_backend_cpu_s']} s",
                    "",
                    "",
                    "",
                    "",
                )
            )
        if full.get("bare_copy"):
            rows.append(
                (
                    "",
                    "ceiling: bare COPY of the same CSV (no index, no WAL)",
                    f"{full['bare_copy']['rows_per_s']:,} rows/s",
                    f"{full['bare_copy']['seconds']} s",
                    "",
                    f"import {full['ratio_to_bare_copy']}x",
                    "",
                    "",
                )
            )
        if full.get("fact_install_floor"):
            floor = full["fact_install_floor"]
            rows.append(
                (
                    "",
                    "floor: resolved rows COPY'd into fact_install alone",
                    f"{floor['rows_per_s']:,} rows/s",
                    f"{floor['seconds']} s (PG CPU {floor['postgresql_backend_cpu_s']} s)",
                    "",
                    "",
                    "",
                    "",
                )
            )
        rows.append(
            (
                "",
                "peak RSS (tenth / full file)",
                f"{imported['tenth']['peak_rss_mb']} / {full['peak_rss_mb']} MB",
                "",
                "",
                f"{imported['memory_growth_full_vs_tenth']}x",
                "flat",
                "",
            )
        )
    callback = results.get("callback")
    if callback:
        from bench import install_callback

        rows.append(
            (
                "callback",
                f"{callback['installs']:,} installs, 16 clients over HTTP, "
                f"statuses {callback['statuses']}; {callback['installs_per_cpu_s']} per CPU-s",
                f"{callback['installs_per_s']:,} installs/s",
                f"p50 {callback['latency']['p50_ms']} ms, p95 {callback['latency']['p95_ms']} ms",
                "",
                "",
                f">= {install_callback.TARGET_INSTALLS_PER_S} installs/s",
                met(callback["target_met"]),
            )
        )
    hooks = results.get("webhooks")
    if hooks and hooks.get("off"):
        for receivers in ("off", "on"):
            row = hooks[receivers]
            rows.append(
                (
                    "webhooks" if receivers == "off" else "",
                    f"receivers {receivers}: {row['events_per_s']} events/s, "
                    f"{row['non_200']} non-200, {row['deadlocks']} deadlocks",
                    f"{row['latency']['p50_ms']} ms",
                    f"{row['latency']['p95_ms']} ms",
                    "",
                    "",
                    "",
                    "",
                )
            )
    for label, profile in ((hooks or {}).get("in_process_profile") or {}).items():
        if not isinstance(profile, dict) or "request_p50_overhead" not in profile:
            continue
        rows.append(
            (
                "webhooks" if not hooks.get("off") else "",
                f"in-process overhead per {label} (p50, {profile['off']['request']['p50_ms']} "
                f"-> {profile['on']['request']['p50_ms']} ms)",
                f"{profile['request_p50_overhead']:+.0%}",
                f"+{profile['statements_added_per_event']} statements",
                "dj-stripe alone",
                f"{1 + profile['request_p50_overhead']:.2f}x",
                "<= +10 %",
                met(profile["request_p50_overhead"] <= 0.10),
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        if index == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


SCALING_SCALES = ("100k", "full", "3m")  # 100,000, 1,000,000 and 3,000,000 charges
SCALING_LIMIT = 1.5  # a page at 3M within 1.5x of its own p50 at 100k (issue 17)


def scaling_table(results_dir: Path = RESULTS_DIR) -> str:
    """Each page's p50 (full render and queries) and each original analysis query's p50 at
    100k, 1M and 3M charges, from the latest reports step of each scale (latest-<scale>.json),
    with the 3M / 100k ratio: the pages should stay flat, the original queries grow."""
    reports = {}
    for scale in SCALING_SCALES:
        path = results_dir / f"latest-{scale}.json"
        if path.exists():
            latest = json.loads(path.read_text())
            if latest.get("reports"):
                reports[scale] = latest
    if not reports:
        return "scaling: no reports step measured yet at " + ", ".join(SCALING_SCALES)

    def p50(scale, kind, name, measure):
        entry = reports.get(scale, {}).get("reports", {}).get(kind, {}).get(name)
        if not entry:
            return None
        if measure == "blocks":
            return entry.get("blocks")
        return (entry.get(measure) or {}).get("p50_ms") if measure else entry.get("p50_ms")

    header = ["what", "measure"]
    for scale in SCALING_SCALES:
        sizes = SCALES[scale]
        header.append(f"{sizes['charges']:,} charges" + ("" if scale in reports else " (not run)"))
    header += ["1M / 100k", "3M / 100k", f"3M <= {SCALING_LIMIT}x 100k"]
    rows = [tuple(header)]

    def row(label, measure, values, judge, unit="ms"):
        low = values[0]
        ratios = [round(v / low, 2) if low and v is not None else None for v in values[1:]]
        verdict = ""
        if judge and ratios[-1] is not None:
            verdict = "yes" if ratios[-1] <= SCALING_LIMIT else "NO"
        rows.append(
            (
                label,
                measure,
                *[f"{v:,} {unit}" if v is not None else "" for v in values],
                *[f"{r}x" if r is not None else "" for r in ratios],
                verdict,
            )
        )

    page_names = []
    for latest in reports.values():
        page_names += [n for n in latest["reports"]["pages"] if n not in page_names]
    for name in page_names:
        for measure, label in (
            ("page", "full render"),
            ("queries", "its queries"),
            ("blocks", "buffers its queries touch"),
        ):
            values = [p50(scale, "pages", name, measure) for scale in SCALING_SCALES]
            row(
                f"page {name}" if measure == "page" else "",
                label,
                values,
                judge=True,
                unit="blocks" if measure == "blocks" else "ms",
            )
    baseline_names = []
    for latest in reports.values():
        baseline_names += [n for n in latest["reports"]["baselines"] if n not in baseline_names]
    for name in baseline_names:
        values = [p50(scale, "baselines", name, None) for scale in SCALING_SCALES]
        row(f"original {name}.sql", "query", values, judge=False)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, cells in enumerate(rows):
        lines.append(" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default=os.environ.get("SCALE", "small"))
    parser.add_argument(
        "--only", default="", help=f"comma-separated steps among {', '.join(STEPS)} (default: all)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page (after a warm-up)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent webhook clients")
    parser.add_argument(
        "--baseline-budget",
        type=float,
        default=120,
        help="seconds per baseline query (fewer runs when one run is slower)",
    )
    parser.add_argument(
        "--webhook-events",
        type=int,
        default=None,
        help="events per configuration (default: by scale)",
    )
    parser.add_argument(
        "--rebuild-timeout",
        type=int,
        default=180,
        help="statement_timeout (s) for each rebuild_warehouse statement",
    )
    parser.add_argument(
        "--rebuild-with-analyze",
        action="store_true",
        help="also time the rebuild with ANALYZE injected (the suggested fix)",
    )
    parser.add_argument(
        "--import-rows", type=int, default=None, help="rows of the import CSV (default: by scale)"
    )
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.only.split(",") if s.strip()] or list(STEPS)
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    sizes = dict(SCALES[args.scale])
    if args.webhook_events:
        sizes["webhook_events"] = args.webhook_events
    if args.import_rows:
        sizes["import_rows"] = args.import_rows

    # One database per scale, so `make bench` never replaces the full-scale data.
    os.environ.setdefault(
        "BENCH_DATABASE_NAME",
        "stripe_dwh_bench" if args.scale == "full" else f"stripe_dwh_bench_{args.scale}",
    )
    setup()
    RESULTS_DIR.mkdir(exist_ok=True)
    results = {
        "scale": args.scale,
        "sizes": sizes,
        "started_at": dt.datetime.now(dt.UTC).isoformat(),
        "git_revision": _git_revision(),
        "machine": machine(),
    }
    print(
        f"benchmark scale {args.scale}: {sizes}; machine {results['machine']['cpus']} CPUs, "
        f"{results['machine']['memory_gb']} GB, PostgreSQL {results['machine']['postgresql']}, "
        f"load {results['machine']['load_average_at_start']}",
        flush=True,
    )
    existing = _dataset_scale()
    wanted = {k: sizes[k] for k in ("customers", "charges", "subscriptions")}
    needs_data = any(step != "generate" for step in steps)
    # The webhook step adds a few hundred rows; a dataset within 1 % of the sizes is reused.
    if (
        "generate" not in steps
        and needs_data
        and (
            existing is None or any(abs(existing[k] - wanted[k]) > wanted[k] * 0.01 for k in wanted)
        )
    ):
        print(
            f"the benchmark database holds {existing}; generating {args.scale} data first",
            flush=True,
        )
        steps.insert(0, "generate")
    results["dataset"] = existing

    started = time.perf_counter()
    for step in [s for s in STEPS if s in steps]:
        step_started = time.perf_counter()
        if step == "generate":
            from bench.generate import generate, parse_args

            results["generate"] = generate(
                parse_args(
                    [
                        "--customers",
                        str(sizes["customers"]),
                        "--charges",
                        str(sizes["charges"]),
                        "--installs",
                        str(sizes["installs"]),
                        "--subscriptions",
                        str(sizes["subscriptions"]),
                    ]
                )
            )
            results["dataset"] = _dataset_scale()
        elif step == "reports":
            from bench import reports

            results["reports"] = reports.run(
                runs=args.runs, baseline_budget_seconds=args.baseline_budget
            )
        elif step == "rebuild":
            from bench import rebuild

            results["rebuild"] = rebuild.run(
                timeout_seconds=args.rebuild_timeout, with_analyze_variant=args.rebuild_with_analyze
            )
        elif step == "import":
            from bench import installs_import

            results["import"] = installs_import.run(sizes["import_rows"])
        elif step == "callback":
            from bench import install_callback

            results["callback"] = install_callback.run(
                sizes["callback_installs"], workers=args.workers, concurrency=args.concurrency
            )
        elif step == "webhooks":
            from bench import webhooks

            results["webhooks"] = webhooks.run(
                sizes["webhook_events"], workers=args.workers, concurrency=args.concurrency
            )
        print(f"[{step} done in {time.perf_counter() - step_started:.0f} s]", flush=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{args.scale}-{'-'.join(s for s in STEPS if s in steps)}.json"
    (RESULTS_DIR / name).write_text(json.dumps(results, indent=2, default=str))
    # latest-<scale>.json accumulates the newest result of every step (a partial run keeps
    # the other steps' previous results).
    latest_path = RESULTS_DIR / f"latest-{args.scale}.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest.update(results)
    latest_path.write_text(json.dumps(latest, indent=2, default=str))
    print()
    print(table(results))
    print(
        f"\nwritten bench/results/{name} (and latest-{args.scale}.json) in {results['seconds']} s"
    )
    if "reports" in results:
        print("\nscaling (p50 of the latest reports step at each scale):")
        print(scaling_table())


if __name__ == "__main__":
    main()
