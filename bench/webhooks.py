"""Step "webhooks": signed events posted concurrently to gunicorn, receivers off vs on.

Over HTTP the Stripe API double answers every read `api_delay_ms` late (150 ms by default,
as a distant Stripe), and the stream is realistic: besides each charge's `charge.succeeded`,
some charges are refunded (`charge.refunded` and `refund.created` arrive together) or
disputed (`charge.dispute.created`), and a tenth of the events are delivered twice. Deadlocks
and non-200 answers are counted. In process (one event at a time, no API delay), the
statements and request time that the warehouse adds to dj-stripe's own processing of a
`charge.succeeded` are measured.

Setup: the Stripe API double (localstripe) on a free port; customers, payment methods and
payment intents created in it with stripe-python (each confirmed intent makes a charge);
dj-stripe's WebhookEndpoint row for the local server in the benchmark database.

Then, for each configuration, gunicorn (bench.wsgi, several workers of THREADS_PER_WORKER
threads, persistent DB connections) serves the project on a free port and the events of
charges not yet seen are POSTed, signed as Stripe signs them (devtools.webhook_delivery),
from a pool of client threads. dj-stripe verifies each event and re-retrieves the charge (and its
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
from pathlib import Path

import requests

from bench.stats import run_concurrently, stop, summary_ms
from devtools.ports import free_port, wait_for_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
# gunicorn's threaded workers: workers x threads requests in flight, as many as the clients
THREADS_PER_WORKER = 4
# in-process p50 of a charge.succeeded, with the warehouse over dj-stripe alone (issue 12)
TARGET_OVERHEAD = 0.10


def _start_double():
    """The Stripe API double; its read delay is set at run time (_set_read_delay)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stripe_double", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process, "Stripe API double")
    return process, f"http://127.0.0.1:{port}"


def _set_read_delay(api_base: str, milliseconds: int) -> None:
    requests.post(f"{api_base}/_config/read_delay", json={"ms": milliseconds}, timeout=10)


def _mixed_events(charges: list[dict], api_base: str) -> list[dict]:
    """charge.succeeded for each charge; a refund of every 4th (charge.refunded and
    refund.created), a dispute of every 10th; a tenth of the events twice; shuffled."""
    import random

    import stripe

    from devtools.webhook_delivery import event_envelope

    events = []
    for number, charge in enumerate(charges):
        events.append(event_envelope("charge.succeeded", charge))
        if number % 4 == 1:
            refund = stripe.Refund.create(charge=charge["id"], amount=100)
            refunded = stripe.Charge.retrieve(charge["id"])
            events.append(event_envelope("charge.refunded", refunded.to_dict()))
            events.append(event_envelope("refund.created", refund.to_dict()))
        if number % 10 == 3:
            response = requests.post(
                f"{api_base}/_test/disputes",
                json={"charge": charge["id"]},
                timeout=10,
                auth=(stripe.api_key, ""),
            )
            response.raise_for_status()
            events.append(event_envelope("charge.dispute.created", response.json()))
    events += events[::10]
    random.Random(len(events)).shuffle(events)
    return events


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


def _start_gunicorn(port: int, workers: int, receivers: str, api_base: str | None):
    """gunicorn on bench.wsgi; api_base None leaves the Stripe API host as configured."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_WAREHOUSE_RECEIVERS=receivers,
        LOG_LEVEL="ERROR",
    )
    if api_base is not None:
        env["STRIPE_API_HOST"] = api_base
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
            "--threads",
            str(THREADS_PER_WORKER),
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

    outcome = run_concurrently(post, events, concurrency)
    return {
        "events": len(events),
        "wall_s": round(outcome["wall_s"], 2),
        "events_per_s": round(len(events) / outcome["wall_s"], 1),
        "statuses": outcome["statuses"],
        "latency": outcome["latency"],
    }


def _trigger_failures_since(trigger_id: int) -> dict:
    """Deadlocks and other exceptions recorded on dj-stripe's triggers after this id."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select coalesce(max(id), 0), "
            "count(*) filter (where id > %s and exception ilike '%%deadlock%%'), "
            "count(*) filter (where id > %s and exception <> '') "
            "from djstripe_webhookeventtrigger",
            [trigger_id, trigger_id],
        )
        last_id, deadlocks, exceptions = cursor.fetchone()
    return {"last_trigger_id": last_id, "deadlocks": deadlocks, "exceptions": exceptions}


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


def profile_in_process(api_base: str, deliveries: list[tuple], warm_up: int = 0) -> dict:
    """Statements, database time and request time per event, receivers off vs on, in process.

    `deliveries` is a list of (label, event, receivers): each event is signed and posted
    through Django's test client in this process, one at a time, with a connection execute
    wrapper counting every statement the request runs. Before each, the warehouse receivers
    are disconnected (receivers "off") or put back ("on"), so the callers interleave the two
    configurations and a drift in the shared machine's load hits both alike. Events labelled
    None, and the first `warm_up` of each label and configuration, are delivered but not
    measured (they set up what the measured ones build on, or warm the connection's caches).
    Receivers "on_unprepared" are "on" with WAREHOUSE_PREPARED_STATEMENTS off (the flush's
    statements planned at every event, as before prepared statements), for comparison.
    Returns {label: {"off": ..., "on": ..., "statements_added_per_event",
    "request_p50_overhead"}}.
    """
    import gc

    import stripe
    from django.conf import settings
    from django.db import connection
    from django.dispatch import Signal
    from django.test import Client, override_settings

    from bench.reports import QueryTimer
    from bench.wsgi import disconnect_warehouse_receivers
    from devtools.webhook_delivery import signature_header

    stripe.api_base = api_base
    client = Client()
    path = f"/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/"
    # Keep every receiver list, so the warehouse receivers can be put back afterwards.
    saved = {
        id(signal): (signal, list(signal.receivers))
        for signal in gc.get_objects()
        if issubclass(type(signal), Signal)  # isinstance would evaluate lazy objects
    }

    def restore_receivers():
        for signal, entries in saved.values():
            with signal.lock:
                signal.receivers[:] = entries
                signal.sender_receivers_cache.clear()

    measured: dict[str, dict] = {}
    seen: dict[tuple, int] = {}
    current = "on"
    try:
        for label, event, receivers in deliveries:
            if receivers != current:
                if receivers == "off":
                    disconnect_warehouse_receivers()
                else:
                    restore_receivers()
                current = receivers
            unprepared = override_settings(WAREHOUSE_PREPARED_STATEMENTS=False)
            if receivers == "on_unprepared":
                unprepared.enable()
            body = json.dumps(event).encode()
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.post(
                    path,
                    data=body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature_header(body, settings.STRIPE_WEBHOOK_SECRET),
                )
                elapsed = time.perf_counter() - started
            if receivers == "on_unprepared":
                unprepared.disable()
            if response.status_code != 200:
                raise RuntimeError(
                    f"in-process {event['type']} answered {response.status_code}: "
                    f"{response.content[:300]!r}"
                )
            if label is None:
                continue
            seen[label, receivers] = seen.get((label, receivers), 0) + 1
            if seen[label, receivers] <= warm_up:
                continue
            entry = measured.setdefault(label, {}).setdefault(
                receivers, {"counts": [], "db": [], "wall": [], "by_statement": {}}
            )
            entry["wall"].append(elapsed)
            entry["counts"].append(len(timer.queries))
            entry["db"].append(sum(q[0] for q in timer.queries))
            for seconds, sql, _ in timer.queries:
                label_of_sql = " ".join(sql.split())[:90]
                statement = entry["by_statement"].setdefault(label_of_sql, [0, 0.0])
                statement[0] += 1
                statement[1] += seconds
        # how the session's prepared statements were planned (generic plans are planned once)
        with connection.cursor() as cursor:
            cursor.execute(
                "select name, generic_plans, custom_plans from pg_prepared_statements order by 1"
            )
            prepared_plans = {name: [generic, custom] for name, generic, custom in cursor}
    finally:
        restore_receivers()
    results = {"prepared_statements_generic_custom_plans": prepared_plans}
    for label, configurations in measured.items():
        result = results[label] = {}
        for receivers in ("off", "on"):
            entry = configurations.get(receivers)
            if not entry:
                raise RuntimeError(
                    f"in-process: no {label} event measured with receivers {receivers}"
                )
            events = len(entry["wall"])
            result[receivers] = {
                "events": events,
                "queries_per_event": round(sum(entry["counts"]) / events, 1),
                "db_ms_per_event": round(1000 * sum(entry["db"]) / events, 1),
                "request": summary_ms(entry["wall"]),
                # statements with the most database time: label -> [runs per event, ms per event]
                "top_statements": {
                    text: [round(n / events, 1), round(1000 * t / events, 2)]
                    for text, (n, t) in sorted(
                        entry["by_statement"].items(), key=lambda i: -i[1][1]
                    )[:40]
                },
            }
        result["statements_added_per_event"] = round(
            result["on"]["queries_per_event"] - result["off"]["queries_per_event"], 1
        )
        result["request_p50_overhead"] = round(
            result["on"]["request"]["p50_ms"] / result["off"]["request"]["p50_ms"] - 1, 3
        )
        if "on_unprepared" in configurations:
            entry = configurations["on_unprepared"]
            events = len(entry["wall"])
            result["on_unprepared"] = {
                "events": events,
                "queries_per_event": round(sum(entry["counts"]) / events, 1),
                "db_ms_per_event": round(1000 * sum(entry["db"]) / events, 1),
                "request": summary_ms(entry["wall"]),
            }
            result["unprepared_request_p50_overhead"] = round(
                result["on_unprepared"]["request"]["p50_ms"] / result["off"]["request"]["p50_ms"]
                - 1,
                3,
            )
    return results


def charge_deliveries(charges: list[dict], compare_unprepared: bool = False) -> list[tuple]:
    """charge.succeeded of each charge, receivers alternating off, on, off, on, ... (or off,
    on, on_unprepared, ...)."""
    from devtools.webhook_delivery import event_envelope

    cycle = ("off", "on", "on_unprepared") if compare_unprepared else ("off", "on")
    return [
        ("charge.succeeded", event_envelope("charge.succeeded", charge), cycle[n % len(cycle)])
        for n, charge in enumerate(charges)
    ]


# the subscription events whose overhead issue 13 bounds (<= +10 % in process)
SUBSCRIPTION_EVENT_TYPES = ("invoice.paid", "customer.subscription.updated")
IN_PROCESS_LABELS = ("charge.succeeded", *SUBSCRIPTION_EVENT_TYPES)


def subscription_deliveries(api_base: str, customers: int, seed: int) -> list[tuple]:
    """A small Billing business served by the double, its events in time order: each
    customer subscribes monthly, changes quantity, and renews for a few months (invoice.paid,
    customer.subscription.updated). Receivers alternate per customer (off for even ones), so
    the two configurations process the same kind of history interleaved in time; the
    catalogue's events run with receivers on. Only SUBSCRIPTION_EVENT_TYPES are measured."""
    import datetime as dt

    import stripe

    from devtools.billing import BillingSimulator

    def at(month, day):
        return dt.datetime(2026, month, day, 10, tzinfo=dt.UTC)

    sim = BillingSimulator(seed=seed)  # a new seed per run: new ids, dj-stripe inserts
    product = sim.product("Bench plan", at=at(1, 1))
    monthly = sim.price(product, 2500, "usd", interval="month", at=at(1, 1))
    receivers_of = {}
    for number in range(customers):
        customer = sim.customer(at=at(1, 1), email=f"sub-bench{number}@example.com")["id"]
        receivers_of[customer] = ("off", "on")[number % 2]
        subscription = sim.subscribe(customer, [(monthly, 1)], at=at(1, 2 + number % 20))
        sim.change_quantity(subscription, at=at(2, 25), quantity=2 + number % 3)
    sim.advance(at(5, 28))
    response = requests.post(
        f"{api_base}/_test/billing/objects",
        json=sim.objects(),
        timeout=120,
        auth=(stripe.api_key, ""),
    )
    response.raise_for_status()
    deliveries = []
    for event in sim.sorted_events():
        data = event["data"]["object"]
        customer = data.get("id") if data.get("object") == "customer" else data.get("customer")
        label = event["type"] if event["type"] in SUBSCRIPTION_EVENT_TYPES else None
        deliveries.append((label, event, receivers_of.get(customer, "on")))
    return deliveries


def print_in_process(profile: dict) -> None:
    for label, result in profile.items():
        print(
            f"  in-process {label}: p50 {result['off']['request']['p50_ms']} ms (dj-stripe "
            f"alone, n={result['off']['events']}) -> {result['on']['request']['p50_ms']} ms "
            f"(with the warehouse, n={result['on']['events']}), "
            f"{result['request_p50_overhead']:+.0%}; statements per event "
            f"{result['off']['queries_per_event']} -> {result['on']['queries_per_event']} "
            f"(+{result['statements_added_per_event']}); database ms per event "
            f"{result['off']['db_ms_per_event']} -> {result['on']['db_ms_per_event']}",
            flush=True,
        )
        if "on_unprepared" in result:
            unprepared = result["on_unprepared"]
            print(
                f"    (same run, flush statements not prepared: p50 "
                f"{unprepared['request']['p50_ms']} ms, "
                f"{result['unprepared_request_p50_overhead']:+.0%}; statements "
                f"{unprepared['queries_per_event']}; database ms {unprepared['db_ms_per_event']})",
                flush=True,
            )


def _analyze_tables_without_statistics() -> None:
    """ANALYZE the tables PostgreSQL has no statistics for (never analyzed nor vacuumed).

    A benchmark database created by migrations alone (not generated) has none, and the test
    server runs without autovacuum: the flush's generic plans, made at its first event, would
    then assume empty tables and scan them (fact_customer_month, dim_payment_method, ...) at
    a cost that grows with every run (docs/benchmarks.md, "One round trip per flush"). A
    production database has autovacuum's statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "select c.oid::regclass::text from pg_class as c "
            "where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace "
            "and c.reltuples < 0"
        )
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute("analyze " + ", ".join(tables))
            print(f"  analyzed {len(tables)} tables without statistics", flush=True)


def run_in_process(
    api_base: str,
    charges: list[dict],
    subscription_customers: int,
    warm_up: int = 5,
    compare_unprepared: bool = False,
) -> dict:
    """The in-process comparison for charge.succeeded and the subscription events."""
    import random

    deliveries = charge_deliveries(charges, compare_unprepared)
    if subscription_customers:
        seed = random.SystemRandom().randrange(1 << 30)
        deliveries += subscription_deliveries(api_base, subscription_customers, seed)
    _analyze_tables_without_statistics()
    load_before = os.getloadavg()
    profile = profile_in_process(api_base, deliveries, warm_up=warm_up)
    profile["load_average"] = [round(v, 2) for v in load_before + os.getloadavg()]
    print_in_process({k: v for k, v in profile.items() if k in IN_PROCESS_LABELS})
    print(f"  load average before / after: {profile['load_average']}", flush=True)
    return profile


def run(
    events: int,
    workers: int = 4,
    concurrency: int = 16,
    rounds: int = 4,
    api_delay_ms: int = 150,
    in_process_charges: int = 200,
    # 60 customers (about 2.6 MB for the double to load, under its 64 MB load limit):
    # about 130 subscription events a side, so the p50s rest on more than a few dozen events
    subscription_customers: int = 60,
    warm_up: int = 5,
    compare_unprepared: bool = False,
) -> dict:
    """Over HTTP (skipped when `events` is 0), then in process (charge.succeeded and the
    subscription events)."""
    print(
        f"webhooks: {events} charges per configuration over HTTP (mixed stream), gunicorn "
        f"{workers} workers, {concurrency} concurrent clients, {rounds} alternating rounds, "
        f"Stripe API reads {api_delay_ms} ms late; in process {in_process_charges} "
        f"charge.succeeded and the events of {subscription_customers} subscription customers",
        flush=True,
    )
    double, api_base = _start_double()
    try:
        per_round = max(1, events // rounds) if events else 0
        warm_up = workers * 2
        http_charges = 2 * rounds * (per_round + warm_up) if events else 0
        started = time.perf_counter()
        charges = _create_charges(
            api_base,
            http_charges + in_process_charges,
            customers=max(4, (http_charges + in_process_charges) // 5),
        )
        print(
            f"  created {len(charges)} charges in the Stripe double in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        over_http = (
            _run_over_http(
                charges[:http_charges], api_base, workers, concurrency, rounds, api_delay_ms
            )
            if events
            else {}
        )
        if not events:
            _register_endpoint("http://127.0.0.1:1")
        profile = run_in_process(
            api_base,
            charges[http_charges:],
            subscription_customers,
            warm_up=warm_up,
            compare_unprepared=compare_unprepared,
        )
    finally:
        stop(double)
    in_process_met = all(
        result["request_p50_overhead"] <= TARGET_OVERHEAD
        for label, result in profile.items()
        if label in IN_PROCESS_LABELS
    )
    return {
        "workers": workers,
        "concurrency": concurrency,
        "rounds": rounds,
        **over_http,
        "in_process_profile": profile,
        "in_process_target_met": in_process_met,
        "target_met": in_process_met and over_http.get("target_met", True),
    }


def _run_over_http(charges, api_base, workers, concurrency, rounds, api_delay_ms) -> dict:
    from django.conf import settings

    from devtools.webhook_delivery import event_envelope

    warm_up = workers * 2
    per_round = len(charges) // (2 * rounds) - warm_up
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
            envelopes = [
                event_envelope("charge.succeeded", charge) for charge in batch[:warm_up]
            ] + _mixed_events(batch[warm_up:], api_base)
            charge_ids[receivers].extend(charge["id"] for charge in batch)
            server = _start_gunicorn(gunicorn_port, workers, receivers, api_base)
            before = _trigger_failures_since(0)["last_trigger_id"]
            _set_read_delay(api_base, api_delay_ms)
            try:
                # Warm-up: every worker imports lazily-loaded code and opens its connection.
                _post_all(
                    endpoint.url,
                    settings.STRIPE_WEBHOOK_SECRET,
                    envelopes[:warm_up],  # charge.succeeded only
                    concurrency,
                )
                outcome = _post_all(
                    endpoint.url, settings.STRIPE_WEBHOOK_SECRET, envelopes[warm_up:], concurrency
                )
            finally:
                _set_read_delay(api_base, 0)
                stop(server)
            failures = _trigger_failures_since(before)
            outcome["deadlocks"], outcome["exceptions"] = (
                failures["deadlocks"],
                failures["exceptions"],
            )
            latencies[receivers].extend(outcome.pop("latency"))
            results[receivers].append(outcome)
            print(
                f"  round {round_number + 1} receivers {receivers:<3}: "
                f"{outcome['events_per_s']:6.1f} events/s, statuses {outcome['statuses']}, "
                f"deadlocks {outcome['deadlocks']}",
                flush=True,
            )
    checks = _check_processing(charge_ids)
    print(f"  checks: {checks}", flush=True)
    summary = {}
    for receivers in ("off", "on"):
        wall = sum(r["wall_s"] for r in results[receivers])
        count = sum(r["events"] for r in results[receivers])
        failures = sum(n for r in results[receivers] for s, n in r["statuses"].items() if s != 200)
        summary[receivers] = {
            "events": count,
            "deadlocks": sum(r["deadlocks"] for r in results[receivers]),
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
            f"non-200: {row['non_200']}, deadlocks: {row['deadlocks']}",
            flush=True,
        )
    print(
        f"  warehouse overhead per event: {overhead:+.0%} (throughput), {p50_overhead:+.0%} "
        f"(p50 latency)",
        flush=True,
    )
    return {
        **summary,
        "checks": checks,
        "overhead_per_event": round(overhead, 3),
        "overhead_p50_latency": round(p50_overhead, 3),
        "target_met": not summary["on"]["non_200"]
        and not summary["on"]["deadlocks"]
        and not summary["off"]["non_200"]
        and not checks["triggers_with_exception"],
    }


def main(argv=None):
    """In process only (no gunicorn): `python -m bench.webhooks --charges 200 --customers 60`."""
    import argparse

    parser = argparse.ArgumentParser(description="in-process webhook overhead, off vs on")
    parser.add_argument("--charges", type=int, default=200)
    parser.add_argument("--customers", type=int, default=60, help="subscription customers")
    parser.add_argument("--warm-up", type=int, default=5, help="unmeasured events per label")
    parser.add_argument(
        "--compare-unprepared",
        action="store_true",
        help="a third configuration: receivers on, flush statements not prepared",
    )
    args = parser.parse_args(argv)
    from bench.db import setup

    os.environ.setdefault("BENCH_DATABASE_NAME", "stripe_dwh_bench_small")
    setup()
    result = run(
        0,
        in_process_charges=args.charges,
        subscription_customers=args.customers,
        warm_up=args.warm_up,
        compare_unprepared=args.compare_unprepared,
    )
    print(json.dumps(result["in_process_profile"], indent=1))


if __name__ == "__main__":
    main()
