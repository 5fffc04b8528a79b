"""Webhook bursts, inline vs Celery workers, and the catch-up from Stripe's event log.

    .venv/bin/python -m bench.event_processing --events 5000 --clients 32 --latency-ms 150
    .venv/bin/python -m bench.event_processing --only catch-up --catch-up-events 10000

Burst: `charge.succeeded` events for charges held by the Stripe API double (answering every
/v1/ request `--latency-ms` late, as Stripe at a distance), signed as Stripe signs them,
POSTed by `--clients` concurrent clients to gunicorn (4 workers x 4 threads). For each
configuration - inline (processed in the request), then Celery with 1, 2 and 4 worker
processes - the dj-stripe, warehouse and receipt tables are emptied and the same charges are
delivered under new event ids. Measured: the acknowledgement time of each request (client
side) and the time from the first request until every charge is in fact_transaction.

Catch-up: `--catch-up-events` events spread over the last 30 days are added to the double's
event log (`POST /_test/events`), about charges the double holds; `sync_stripe_events` then
runs in this process and its events per second are reported.

Its own database (stripe_dwh_bench_events) on the project's PostgreSQL server, its own
redis-server on a free port; results as JSON under bench/results/.
"""

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import quote

os.environ.setdefault("BENCH_DATABASE_NAME", "stripe_dwh_bench_events")

from bench.db import setup  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER']}@{host}{port}/{db['NAME']}"


def _empty_tables() -> None:
    from django.apps import apps
    from django.db import connection

    from warehouse.models import DimDate

    models = [
        *(
            m
            for m in apps.get_app_config("djstripe").get_models()
            if m.__name__ != "WebhookEndpoint"
        ),
        *(m for m in apps.get_app_config("warehouse").get_models() if m is not DimDate),
        *apps.get_app_config("stripe_events").get_models(),
    ]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def _charges_in_warehouse(charge_ids: list[str]) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) from fact_transaction where transaction_type = 'charge' "
            "and stripe_id = any(%s)",
            [charge_ids],
        )
        return cursor.fetchone()[0]


def _set_latency(api_base: str, ms: float) -> None:
    import requests

    requests.post(f"{api_base}/_config/latency", json={"ms": ms}, timeout=10).raise_for_status()


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _warm_up(web: str, clients: int) -> None:
    """Every gunicorn thread loads Django and opens its connection before the burst."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(lambda _: requests.get(f"{web}/healthz", timeout=60), range(4 * clients)))


def burst(
    api_base: str,
    charges: list[dict],
    configuration: str,
    clients: int,
    tmp: Path,
    timeout: float,
) -> dict:
    """One configuration: "inline" or "celery-<n>" (n worker processes; 0 = none)."""
    from django.conf import settings

    from bench.stats import summary_ms
    from bench.webhooks import _post_all, _register_endpoint
    from devtools.celery_stack import CeleryStack, RedisBroker
    from devtools.webhook_delivery import event_envelope

    _empty_tables()
    broker = None
    if configuration != "inline":
        broker = RedisBroker()
        broker.start()
    stack = CeleryStack(
        _database_url(),
        api_base,
        broker,
        settings_module="bench.settings",
        wsgi="bench.wsgi:application",
        LOG_LEVEL="ERROR",
        STRIPE_EVENTS_REQUEUE_AFTER=600,
    )
    try:
        web = stack.start_web(workers=4, threads=4)
        endpoint = _register_endpoint(web)
        workers = int(configuration.split("-")[1]) if broker else 0
        if workers:  # "celery-0": the broker without workers, to time the acknowledgement alone
            stack.start_worker(concurrency=workers)
            time.sleep(3)  # let the worker connect before the burst
        events = [
            event_envelope("charge.succeeded", charge, event_id="evt_" + secrets.token_hex(12))
            for charge in charges
        ]
        charge_ids = [charge["id"] for charge in charges]
        _warm_up(web, clients)
        load_before = _load()
        started = time.perf_counter()
        posted = _post_all(endpoint.url, settings.STRIPE_WEBHOOK_SECRET, events, clients)
        acknowledged = time.perf_counter() - started
        done = _charges_in_warehouse(charge_ids)
        while done < len(charge_ids) and time.perf_counter() - started < timeout:
            time.sleep(0.5)
            done = _charges_in_warehouse(charge_ids)
        drained = time.perf_counter() - started
        result = {
            "configuration": configuration,
            "events": len(events),
            "clients": clients,
            "statuses": posted["statuses"],
            "ack": summary_ms(posted["latency"]),
            "all_acknowledged_s": round(acknowledged, 1),
            "in_warehouse": done,
            "all_in_warehouse_s": round(drained, 1) if done == len(charge_ids) else None,
            "events_per_s": round(done / drained, 1),
            "load_before": load_before,
            "load_after": _load(),
        }
        print(json.dumps(result), flush=True)
        return result
    finally:
        stack.stop()
        if broker:
            broker.kill()


def catch_up(api_base: str, charges: list[dict], count: int) -> dict:
    import stripe
    from django.conf import settings

    from devtools.webhook_delivery import event_envelope
    from stripe_events.services.catch_up import sync_events

    _empty_tables()
    _set_latency(api_base, 0)
    now = int(time.time())
    span = 30 * 86400 - 3600
    events = [
        event_envelope(
            "charge.succeeded" if n < len(charges) else "charge.updated",
            charges[n % len(charges)],
            created=now - span + n * span // count,
        )
        for n in range(count)
    ]
    import requests

    requests.delete(f"{api_base}/_test/events", timeout=60).raise_for_status()
    for start in range(0, count, 1000):
        requests.post(
            f"{api_base}/_test/events", json={"events": events[start : start + 1000]}, timeout=60
        ).raise_for_status()
    stripe.api_base = api_base
    stripe.api_key = settings.STRIPE_TEST_SECRET_KEY
    load_before = _load()
    started = time.perf_counter()
    summary = sync_events(progress=lambda message: None)
    elapsed = time.perf_counter() - started
    result = {
        "events": count,
        "distinct_charges": len(charges),
        "summary": summary.as_dict(),
        "seconds": round(elapsed, 1),
        "events_per_s": round(count / elapsed, 1),
        "load_before": load_before,
        "load_after": _load(),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=150)
    parser.add_argument("--configurations", default="inline,celery-1,celery-2,celery-4")
    parser.add_argument("--catch-up-events", type=int, default=10000)
    parser.add_argument("--only", choices=["burst", "catch-up"])
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    setup()
    from bench.stats import stop
    from bench.webhooks import _create_charges, _start_double

    double, api_base = _start_double()
    results = {"started": dt.datetime.now(dt.UTC).isoformat(), "cpus": os.cpu_count()}
    try:
        started = time.perf_counter()
        wanted = args.events if args.only != "catch-up" else 1000
        charges = _create_charges(api_base, wanted, customers=max(4, wanted // 5))
        print(
            f"created {len(charges)} charges in {time.perf_counter() - started:.0f} s", flush=True
        )
        if args.only != "catch-up":
            _set_latency(api_base, args.latency_ms)
            results["latency_ms"] = args.latency_ms
            results["bursts"] = [
                burst(api_base, charges, name, args.clients, Path("/tmp"), args.timeout)
                for name in args.configurations.split(",")
            ]
        if args.only != "burst":
            results["catch_up"] = catch_up(api_base, charges, args.catch_up_events)
    finally:
        stop(double)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"event_processing_{time.strftime('%Y%m%d_%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
