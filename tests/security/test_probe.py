"""A scripted attacker against the live server, one request class at a time, as the security
review probed it (issue 15): bad signatures, oversized bodies, deep JSON, formula cells,
markup in labels, control characters and throttled logins. Every request gets its 4xx and
nothing of the flood is stored: the webhook trigger table does not grow at all, and the
counts of refused requests grow by less than REJECTED_TABLE_GROWTH_LIMIT.

Run with -s to see the measured sizes; they are also recorded as test properties (JUnit XML).
"""

import csv
import io
import json
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.urls import reverse

from devtools import webhook_delivery
from tests.factories import DimChannelFactory, DimClientFactory, FactInstallFactory, utc

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FLOOD_REQUESTS = 20  # per class; the review grew the trigger table by 97 MB with 20
OVERSIZED_BODY = 2 * 1024 * 1024 + 1  # just over Django's old default limit (2.5 MB = stored)
# dj-stripe's trigger table may not grow at all; the refusal counts (one row per minute,
# address and reason) grow by a few pages at most.
REJECTED_TABLE_GROWTH_LIMIT = 128 * 1024
TOKEN = "test-attribution-token-0123456789"  # tests/settings.py


def _table_bytes(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("select pg_total_relation_size(%s)", [table])
        return cursor.fetchone()[0]


def _rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {table}")  # noqa: S608 (a constant table name)
        return cursor.fetchone()[0]


def _log_in(session: requests.Session, login_url: str, password: str) -> requests.Response:
    """POST the reports login form as "manager" with the session's CSRF cookie."""
    return session.post(
        login_url,
        data={
            "username": "manager",
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login_url},
        timeout=30,
    )


@pytest.fixture
def manager_session(live_server, manager_user):
    """A manager logged in through the reports login over HTTP."""
    session = requests.Session()
    login_url = live_server.url + reverse("reports:login")
    session.get(login_url, timeout=30)
    response = _log_in(session, login_url, "manager-password-1")
    assert response.status_code == 200 and "sessionid" in session.cookies
    yield session
    session.close()


def test_probe(live_server, webhook_endpoint, manager_session, record_property):
    webhook_url = webhook_endpoint.url
    callback_url = live_server.url + reverse("warehouse:install_callback")
    event = webhook_delivery.event_envelope("customer.deleted", {"id": "cus_x", "deleted": True})
    body = json.dumps(event).encode()
    trigger_bytes_before = _table_bytes("djstripe_webhookeventtrigger")
    rejected_bytes_before = _table_bytes("webhooks_rejectedwebhookdelivery")
    sent_bytes = 0
    statuses: dict[str, set[int]] = {}

    def send(request_class: str, url: str, data: bytes, headers: dict, method="POST"):
        nonlocal sent_bytes
        sent_bytes += len(data)
        response = requests.request(method, url, data=data, headers=headers, timeout=60)
        statuses.setdefault(request_class, set()).add(response.status_code)
        return response

    def signed(payload: bytes, secret: str, **extra) -> dict:
        return {
            "Content-Type": "application/json",
            "Stripe-Signature": webhook_delivery.signature_header(payload, secret, **extra),
        }

    # --- the flood ---------------------------------------------------------------------
    for number in range(FLOOD_REQUESTS):
        padded = body[:-1] + b', "pad": "' + b"x" * 200_000 + b'"}'
        send("wrong secret", webhook_url, padded, signed(padded, f"whsec_guess{number}"))
        send(
            "malformed signature",
            webhook_url,
            padded,
            {"Stripe-Signature": "t=abc,v1=" + "0" * 64},
        )
        send("missing signature", webhook_url, padded, {"Content-Type": "application/json"})
        send(
            "debug secret header",
            webhook_url,
            body,
            {**signed(body, "whsec_mine"), "X-Djstripe-Webhook-Secret": "whsec_mine"},
        )
        send(
            "future timestamp",
            webhook_url,
            body,
            signed(body, webhook_endpoint.secret, timestamp=int(time.time()) + 3600),
        )
        oversized = b"[" + b"1," * (OVERSIZED_BODY // 2) + b"1]"
        send("oversized webhook", webhook_url, oversized, signed(oversized, "whsec_guess"))
        deep = b"[" * 100_000 + b"]" * 100_000
        send("deep JSON, unsigned", webhook_url, deep, signed(deep, "whsec_guess"))
        send("deep JSON, signed", webhook_url, deep, signed(deep, webhook_endpoint.secret))

    trigger_bytes_after = _table_bytes("djstripe_webhookeventtrigger")
    rejected_bytes = _table_bytes("webhooks_rejectedwebhookdelivery")
    record_property("flood_requests", 8 * FLOOD_REQUESTS)
    record_property("flood_megabytes", round(sent_bytes / 2**20, 1))
    record_property("trigger_table_bytes_before", trigger_bytes_before)
    record_property("trigger_table_bytes_after", trigger_bytes_after)
    record_property("rejected_table_bytes_before", rejected_bytes_before)
    record_property("rejected_table_bytes_after", rejected_bytes)
    print(
        f"\nprobe: {8 * FLOOD_REQUESTS} webhook requests, {sent_bytes / 2**20:.1f} MB sent; "
        f"djstripe_webhookeventtrigger {trigger_bytes_before} -> {trigger_bytes_after} bytes, "
        f"webhooks_rejectedwebhookdelivery {rejected_bytes_before} -> {rejected_bytes} bytes "
        f"({_rows('webhooks_rejectedwebhookdelivery')} rows)"
    )
    assert statuses == {
        "wrong secret": {400},
        "malformed signature": {400},
        "missing signature": {400},
        "debug secret header": {400},
        "future timestamp": {400},
        "oversized webhook": {413},
        "deep JSON, unsigned": {400},
        "deep JSON, signed": {400},
    }
    assert _rows("djstripe_webhookeventtrigger") == 0
    assert trigger_bytes_after == trigger_bytes_before
    assert rejected_bytes - rejected_bytes_before < REJECTED_TABLE_GROWTH_LIMIT

    # --- the install callback: size, depth, encoding, control characters, tokens ----------
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    install = {
        "install_id": "probe-1",
        "user_id": '=HYPERLINK("https://evil.example")',
        "installed_at": "2025-03-09T12:00:00Z",
        "os_name": "<b>iOS</b>",
        "channel_name": '<a href="https://evil.example/">+click</a>',
    }
    callback_answers = {
        "oversized": send(
            "callback", callback_url, b'{"pad": "' + b"x" * OVERSIZED_BODY + b'"}', auth
        ),
        "deep": send("callback", callback_url, b"[" * 100_000 + b"]" * 100_000, auth),
        "surrogate": send(
            "callback",
            callback_url,
            json.dumps(install).replace("probe-1", "probe-\\ud800").encode(),
            auth,
        ),
        "newline": send(
            "callback", callback_url, json.dumps({**install, "install_id": "a\nb"}).encode(), auth
        ),
        "bad UTF-8": send(
            "callback",
            callback_url + "?install_id=%FF&user_id=u&os_name=iOS&channel_name=c"
            "&installed_at=2025-03-09T12:00:00Z",
            b"",
            {"X-Attribution-Token": TOKEN},
            method="GET",
        ),
        "query token": send(
            "callback", callback_url + f"?token={TOKEN}", json.dumps(install).encode(), auth
        ),
    }
    assert {name: r.status_code for name, r in callback_answers.items()} == dict.fromkeys(
        callback_answers, 400
    )
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from fact_install")
        assert cursor.fetchone()[0] == 0

    # --- formula cells and markup in labels, through a manager's session -----------------
    stored = requests.post(callback_url, json=install, headers=auth, timeout=30)
    assert stored.status_code == 201, stored.text
    FactInstallFactory(
        user_id=install["user_id"],
        installed_at=utc(2025, 3, 9, 13),
        channel=DimChannelFactory(channel_name=install["channel_name"]),
        client=DimClientFactory(os_name=install["os_name"]),
    )
    channels_url = live_server.url + reverse("reports:channels")
    filters = {"start": "2025-01-01", "end": "2025-12-31", "day": "2025-03-09"}
    for table in ("top_channels", "duplicate_installs", "installs_by_channel_os", "funnel"):
        export = manager_session.get(channels_url, params={**filters, "export": table}, timeout=60)
        assert export.status_code == 200, table
        for row in list(csv.reader(io.StringIO(export.text)))[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (table, cell)
    page = manager_session.get(
        channels_url, params={**filters, "os_name": "<b>iOS</b>"}, timeout=60
    ).text
    assert "&lt;a href=" in page and "&lt;b&gt;iOS&lt;/b&gt;" in page
    assert '<a href=\\"https://evil.example/' not in page and "<b>iOS</b>" not in page

    # --- throttled logins: sixty wrong passwords, then the right one -----------------------
    login_url = live_server.url + reverse("reports:login")
    attacker = requests.Session()
    attacker.get(login_url, timeout=30)
    answers = set()
    for _ in range(60):
        answers.add(_log_in(attacker, login_url, "wrong").status_code)
    right = _log_in(attacker, login_url, "manager-password-1")
    assert answers == {200, 429} and right.status_code == 429
    assert "sessionid" not in attacker.cookies
    assert settings.AXES_FAILURE_LIMIT < 60
