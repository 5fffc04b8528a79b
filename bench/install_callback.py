"""Step "callback": the attribution callback over real HTTP, installs per second.

gunicorn serves the project (bench.wsgi, as the webhook step: several workers of
THREADS_PER_WORKER threads, persistent database connections) and a pool of client threads
POSTs one new install per request to /warehouse/installs/callback/ with the bearer token,
as an attribution provider does. Each request stores the install, its dimensions and the
install aggregates (fact_user_acquisition, fact_install_day) in its own transaction. A short
warm-up opens every worker's connection first. The stored installs are checked, then deleted
(and the aggregates recomputed) so the reports step sees the data it generated.
"""

import threading
import time

import requests

from bench.installs_import import backends_started_since, delete_installs, install_rows
from bench.stats import run_concurrently, stop, summary_ms
from bench.webhooks import _start_gunicorn
from devtools.ports import free_port

ID_PREFIX = "cb_bench"
TARGET_INSTALLS_PER_S = 500
CALLBACK_PATH = "/warehouse/installs/callback/"


def _post_all(url: str, token: str, bodies: list[dict], concurrency: int) -> dict:
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}"}

    def post(body):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = session.post(url, json=body, headers=headers, timeout=120)
        return time.perf_counter() - started, response.status_code

    outcome = run_concurrently(post, bodies, concurrency)
    return {
        "installs": len(bodies),
        "wall_s": round(outcome["wall_s"], 2),
        "installs_per_s": round(len(bodies) / outcome["wall_s"], 1),
        "statuses": outcome["statuses"],
        "latency": summary_ms(outcome["latency"]),
    }


def _server_cpu(gunicorn_pid: int, since: float) -> dict:
    """User + system CPU seconds so far of gunicorn's processes and of the local PostgreSQL
    backends of the benchmark database started since `since` (0 when not visible)."""
    import psutil

    def cpu(process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    master = psutil.Process(gunicorn_pid)
    gunicorn = cpu(master) + sum(cpu(child) for child in master.children(recursive=True))
    postgresql = sum(cpu(backend) for backend in backends_started_since(since))
    return {"gunicorn": gunicorn, "postgresql": postgresql}


def run(installs: int, workers: int = 4, concurrency: int = 16) -> dict:
    import os

    from django.conf import settings
    from django.db import connection

    print(
        f"callback: {installs:,} new installs POSTed to {CALLBACK_PATH} by {concurrency} "
        f"clients, gunicorn {workers} workers; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    warm_up = workers * 8
    bodies = list(install_rows(warm_up + installs, seed=17, id_prefix=ID_PREFIX))
    delete_installs(ID_PREFIX)
    port = free_port()
    server_started = time.time()
    server = _start_gunicorn(port, workers, "on", api_base=None)
    url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    try:
        _post_all(url, settings.ATTRIBUTION_CALLBACK_TOKEN, bodies[:warm_up], concurrency)
        # CPU time of the server side (gunicorn's workers, the PostgreSQL backends they opened
        # in the warm-up): what a request costs, whatever else the machine runs
        before = _server_cpu(server.pid, since=server_started)
        result = _post_all(url, settings.ATTRIBUTION_CALLBACK_TOKEN, bodies[warm_up:], concurrency)
        after = _server_cpu(server.pid, since=server_started)
    finally:
        stop(server)
    result["gunicorn_cpu_s"] = round(after["gunicorn"] - before["gunicorn"], 2)
    result["postgresql_cpu_s"] = round(after["postgresql"] - before["postgresql"], 2)
    cpu = result["gunicorn_cpu_s"] + result["postgresql_cpu_s"]
    result["installs_per_cpu_s"] = round(installs / cpu, 1) if cpu > 0 else None
    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from fact_install where install_id like %s", [ID_PREFIX + "%"]
        )
        result["rows_in_table"] = cursor.fetchone()[0]
    result["deleted_after"] = delete_installs(ID_PREFIX)
    result["load_average_at_end"] = round(os.getloadavg()[0], 2)
    result["target_met"] = (
        result["statuses"] == {201: installs}
        and result["rows_in_table"] == warm_up + installs
        and result["installs_per_s"] >= TARGET_INSTALLS_PER_S
    )
    print(
        f"  {installs:,} installs in {result['wall_s']} s = {result['installs_per_s']} installs/s, "
        f"p50 {result['latency']['p50_ms']} ms, p95 {result['latency']['p95_ms']} ms, "
        f"statuses {result['statuses']}, {result['rows_in_table']:,} stored; CPU: gunicorn "
        f"{result['gunicorn_cpu_s']} s + PostgreSQL {result['postgresql_cpu_s']} s = "
        f"{result['installs_per_cpu_s']} installs per CPU-s",
        flush=True,
    )
    return result
