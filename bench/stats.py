"""Small timing helpers shared by the benchmark steps."""

import math
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor


def percentile(values, fraction: float) -> float | None:
    """Linear-interpolated percentile (fraction in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_ms(seconds) -> dict:
    """p50 / p95 / mean / min / max in milliseconds, and the sample count."""
    values = [s * 1000 for s in seconds]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.5), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "mean_ms": round(sum(values) / len(values), 1),
        "min_ms": round(min(values), 1),
        "max_ms": round(max(values), 1),
    }


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process this benchmark started (by its own handle, never by name)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def run_concurrently(call, items, concurrency: int) -> dict:
    """`call(item)` returns (seconds, HTTP status); run it on every item from `concurrency`
    threads. Wall seconds, each call's seconds, and the count of each status."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(call, items))
    wall = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for _, status in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    return {"wall_s": wall, "latency": [seconds for seconds, _ in outcomes], "statuses": statuses}
