"""Step "webhooks": signed events posted concurrently to gunicorn, receivers off vs on.

Setup: the Stripe API double (localstripe) on a free port; customers, payment methods and
payment intents created in it with stripe-python (each confirmed intent makes a charge);
dj-stripe's WebhookEndpoint row for the local server in the benchmark database.

Then, for each configuration, gunicorn (bench.wsgi, several sync workers, persistent DB
connections) serves the project on a free port and `charge.succeeded` events for charges not
yet seen are POSTed, signed as Stripe signs them (devtools.webhook_delivery), from a pool
of client threads. dj-stripe verifies each event and re-retrieves the charge (and its
customer, payment method, ...) from the double, as in production; with the warehouse
receivers on, the warehouse is upserted in the same transaction. Configurations alternate
(off, on, off, on, ...) on fresh charges so a drift on the shared machine hits both alike.
"""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.stats import stop, summary_ms
from devtools.ports import free_port, wait_for_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_OVERHEAD = 0.20


def _start_double():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stripe_double", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, "Stripe API double")
    return process, f"http://127.0.0.1:{port}"


def _create_charges(api_base: str, count: int, customers: int) -> list[dict]:
    """Charges in the double (via confirmed payment intents), as Stripe API dicts."""
    import stripe
    from django.conf import settings

    stripe.api_base = api_base
    stripe.api_key = settings.STRIPE_TEST_SECRET_KEY
    pairs = []
    for number in range(customers):
        customer = stripe.Customer.create(
            email=f"webhook-bench{number}@example.com", metadata={"user_id": f"wb{number:06d}"}
        )
        payment_method = stripe.PaymentMethod.create(
            type="card",
            card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        )
        stripe.PaymentMethod.attach(payment_method.id, customer=customer.id)
        pairs.append((customer.id, payment_method.id))
    charges = []
    for number in range(count):
        customer_id, payment_method_id = pairs[number % len(pairs)]
        intent = stripe.PaymentIntent.create(
            amount=500 + number % 4000,
            currency="usd",
            customer=customer_id,
            payment_method=payment_method_id,
            confirm=True,
        )
        # localstripe answers with the pre-2022 PaymentIntent shape (charges.data).
        charges.append(intent.charges.data[0].to_dict())
    return charges


def _register_endpoint(base_url: str):
    from django.conf import settings
    from djstripe.models import WebhookEndpoint

    endpoint, _ = WebhookEndpoint.objects.update_or_create(
        djstripe_uuid=settings.STRIPE_WEBHOOK_UUID,
        defaults={
            "id": "we_benchmark0000000000000",
            "livemode": False,
            "api_version": "",
            "enabled_events": ["*"],
            "secret": settings.STRIPE_WEBHOOK_SECRET,
            "status": "enabled",
            "url": f"{base_url}/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/",
        },
    )
    return endpoint


def _start_gunicorn(port: int, workers: int, receivers: str, api_base: str):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_WAREHOUSE_RECEIVERS=receivers,
        STRIPE_API_HOST=api_base,
        LOG_LEVEL="ERROR",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for_port(port, process, "gunicorn")
    return process


def _post_all(url: str, secret: str, events: list[dict], concurrency: int) -> dict:
    from devtools.webhook_delivery import deliver

    local = threading.local()

    def post(event):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = deliver(url, event, secret, timeout=120, session=session)
        return time.perf_counter() - started, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(post, events))
    wall = time.perf_counter() - started
    latencies = [seconds for seconds, _ in outcomes]
    statuses = {}
    for _, status in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    return {
        "events": len(events),
        "wall_s": round(wall, 2),
        "events_per_s": round(len(events) / wall, 1),
        "statuses": statuses,
        "latency": latencies,
    }


def _check_processing(charge_ids: dict) -> dict:
    """Did dj-stripe process every event, and did the warehouse get the charges only when on?"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select count(*) filter (where processed), count(*) filter (where exception <> '') "
            "from djstripe_webhookeventtrigger"
        )
        processed, failed = cursor.fetchone()
        in_warehouse = {}
        for receivers, ids in charge_ids.items():
            cursor.execute(
                "select count(*) from fact_transaction where transaction_type = 'charge' "
                "and stripe_id = any(%s)",
                [ids],
            )
            in_warehouse[receivers] = f"{cursor.fetchone()[0]} of {len(ids)}"
    return {
        "triggers_processed": processed,
        "triggers_with_exception": failed,
        "charges_in_warehouse": in_warehouse,
    }


def profile_in_process(api_base: str, charges: list[dict]) -> dict:
    """Queries and database time per event, receivers off vs on, through Django's test client.

    The same signed charge.succeeded events, posted in this process one at a time, with a
    connection execute wrapper counting every statement the request runs; the warehouse
    receivers are disconnected for the first half and reconnected for the second.
    """
    import stripe
    from django.conf import settings
    from django.db import connection
    from django.dispatch import Signal
    from django.test import Client

    from bench.reports import QueryTimer
    from bench.wsgi import disconnect_warehouse_receivers
    from devtools.webhook_delivery import event_envelope, signature_header

    stripe.api_base = api_base
    client = Client()
    path = f"/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/"
    # Keep every receiver list, so the warehouse receivers can be put back afterwards.
    import gc

    saved = {
        id(signal): (signal, list(signal.receivers))
        for signal in gc.get_objects()
        if isinstance(signal, Signal)
    }
    half = len(charges) // 2
    results = {}
    try:
        for receivers, batch in (("off", charges[:half]), ("on", charges[half:])):
            if receivers == "off":
                disconnect_warehouse_receivers()
            else:
                for signal, entries in saved.values():
                    with signal.lock:
                        signal.receivers[:] = entries
                        signal.sender_receivers_cache.clear()
            counts, db_seconds, wall = [], [], []
            by_statement = {}
            for charge in batch:
                body = json.dumps(event_envelope("charge.succeeded", charge)).encode()
                timer = QueryTimer()
                with connection.execute_wrapper(timer):
                    started = time.perf_counter()
                    response = client.post(
                        path,
                        data=body,
                        content_type="application/json",
                        HTTP_STRIPE_SIGNATURE=signature_header(
                            body, settings.STRIPE_WEBHOOK_SECRET
                        ),
                    )
                    wall.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"in-process webhook answered {response.status_code}")
                counts.append(len(timer.queries))
                db_seconds.append(sum(q[0] for q in timer.queries))
                for seconds, sql, _ in timer.queries:
                    label = " ".join(sql.split())[:90]
                    entry = by_statement.setdefault(label, [0, 0.0])
                    entry[0] += 1
                    entry[1] += seconds
            results[receivers] = {
                "events": len(batch),
                "queries_per_event": round(sum(counts) / len(counts), 1),
                "db_ms_per_event": round(1000 * sum(db_seconds) / len(db_seconds), 1),
                "request": summary_ms(wall),
                # statements with the most database time: label -> [runs per event, ms per event]
                "top_statements": {
                    label: [round(n / len(batch), 1), round(1000 * t / len(batch), 2)]
                    for label, (n, t) in sorted(by_statement.items(), key=lambda i: -i[1][1])[:12]
                },
            }
    finally:
        for signal, entries in saved.values():
            with signal.lock:
                signal.receivers[:] = entries
                signal.sender_receivers_cache.clear()
    return results


def run(events: int, workers: int = 4, concurrency: int = 8, rounds: int = 4) -> dict:
    from django.conf import settings

    from devtools.webhook_delivery import event_envelope

    print(
        f"webhooks: {events} charge.succeeded events per configuration, gunicorn {workers} "
        f"workers, {concurrency} concurrent clients, {rounds} alternating rounds",
        flush=True,
    )
    double, api_base = _start_double()
    try:
        per_round = max(1, events // rounds)
        warm_up = workers * 2
        profiled = 40
        needed = 2 * rounds * (per_round + warm_up) + profiled
        started = time.perf_counter()
        charges = _create_charges(api_base, needed, customers=max(4, needed // 5))
        print(
            f"  created {len(charges)} charges in the Stripe double in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        results = {"off": [], "on": []}
        latencies = {"off": [], "on": []}
        gunicorn_port = free_port()
        endpoint = _register_endpoint(f"http://127.0.0.1:{gunicorn_port}")
        cursor = 0
        charge_ids = {"off": [], "on": []}
        for round_number in range(rounds):
            for receivers in ("off", "on"):
                batch = charges[cursor : cursor + warm_up + per_round]
                cursor += warm_up + per_round
                envelopes = [event_envelope("charge.succeeded", charge) for charge in batch]
                charge_ids[receivers].extend(charge["id"] for charge in batch)
                server = _start_gunicorn(gunicorn_port, workers, receivers, api_base)
                try:
                    # Warm-up: every worker imports lazily-loaded code and opens its connection.
                    _post_all(
                        endpoint.url,
                        settings.STRIPE_WEBHOOK_SECRET,
                        envelopes[:warm_up],
                        concurrency,
                    )
                    outcome = _post_all(
                        endpoint.url,
                        settings.STRIPE_WEBHOOK_SECRET,
                        envelopes[warm_up:],
                        concurrency,
                    )
                finally:
                    stop(server)
                latencies[receivers].extend(outcome.pop("latency"))
                results[receivers].append(outcome)
                print(
                    f"  round {round_number + 1} receivers {receivers:<3}: "
                    f"{outcome['events_per_s']:6.1f} events/s, statuses {outcome['statuses']}",
                    flush=True,
                )
        profile = profile_in_process(api_base, charges[cursor : cursor + profiled])
        print(f"  in-process, one at a time: {profile}", flush=True)
    finally:
        stop(double)
    checks = _check_processing(charge_ids)
    print(f"  checks: {checks}", flush=True)
    summary = {}
    for receivers in ("off", "on"):
        wall = sum(r["wall_s"] for r in results[receivers])
        count = sum(r["events"] for r in results[receivers])
        failures = sum(n for r in results[receivers] for s, n in r["statuses"].items() if s != 200)
        summary[receivers] = {
            "events": count,
            "events_per_s": round(count / wall, 1),
            "non_200": failures,
            "latency": summary_ms(latencies[receivers]),
            "rounds": results[receivers],
        }
    # End-to-end time per event = wall time / events (throughput at this concurrency).
    per_event_off = 1 / summary["off"]["events_per_s"]
    per_event_on = 1 / summary["on"]["events_per_s"]
    overhead = per_event_on / per_event_off - 1
    p50_overhead = (summary["on"]["latency"]["p50_ms"] / summary["off"]["latency"]["p50_ms"]) - 1
    for receivers in ("off", "on"):
        row = summary[receivers]
        print(
            f"  receivers {receivers:<3}: {row['events_per_s']:6.1f} events/s, latency p50 "
            f"{row['latency']['p50_ms']} ms p95 {row['latency']['p95_ms']} ms, "
            f"non-200: {row['non_200']}",
            flush=True,
        )
    print(
        f"  warehouse overhead per event: {overhead:+.0%} (throughput), {p50_overhead:+.0%} "
        f"(p50 latency)",
        flush=True,
    )
    return {
        "workers": workers,
        "concurrency": concurrency,
        "rounds": rounds,
        **summary,
        "checks": checks,
        "in_process_profile": profile,
        "overhead_per_event": round(overhead, 3),
        "overhead_p50_latency": round(p50_overhead, 3),
        "target_met": overhead <= TARGET_OVERHEAD
        and not summary["on"]["non_200"]
        and not summary["off"]["non_200"]
        and not checks["triggers_with_exception"],
    }
