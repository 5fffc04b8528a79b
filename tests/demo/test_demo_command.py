"""`manage.py demo` end to end, as `make demo` runs it: real child processes (data load, Stripe
API double, web server, live stream) on the test database, the printed logins used over HTTP,
live webhooks landing in the warehouse, Ctrl-C stopping everything, and a second run reusing
what is there."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from devtools import webhook_delivery
from devtools.ports import free_port, is_listening

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEMO_OPTIONS = ["--users", "60", "--seed", "257"]


@pytest.fixture
def demo_env():
    """The project's own settings (not the test settings) on the test database."""
    database = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "stripe_dwh.settings"
    env["DATABASE_URL"] = (
        f"postgres://{database['USER']}@/{database['NAME']}?host={database['HOST']}"
    )
    return env


def _wait_for(predicate, timeout: float, what: str, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"demo exited ({process.returncode}) while waiting for {what}")
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _log_in(base_url: str, login_path: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(base_url + login_path, timeout=30)
    response = session.post(
        base_url + login_path,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base_url + login_path},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:500]
    assert "sessionid" in session.cookies, f"{username} could not log in at {login_path}"
    return session


def test_demo_serves_with_working_logins_and_live_webhooks_then_stops_and_reruns(
    demo_env, tmp_path
):
    from djstripe.models import Customer

    from warehouse.models import FactTransaction

    port, stripe_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    started_at = timezone.now()
    with open(log_path, "w") as log:
        demo = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "demo",
                "--port",
                str(port),
                "--stripe-port",
                str(stripe_port),
                "--live",
                "--interval",
                "0.5",
                *DEMO_OPTIONS,
            ],
            cwd=PROJECT_DIR,
            env=demo_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        banner = _wait_for(
            lambda: "Press Ctrl-C to stop." in log_path.read_text() and log_path.read_text(),
            240,
            "the demo banner",
            demo,
        )
        base_url = f"http://127.0.0.1:{port}"
        assert f"Reports:   {base_url}/reports/" in banner
        assert f"Admin:     {base_url}/admin/" in banner
        logins = dict(re.findall(r"Login:\s+(\S+) / (\S+)", banner))
        assert set(logins) == {"admin", "manager"}

        login_url = re.search(r"Log in:\s+(\S+)", banner).group(1)
        assert login_url == f"{base_url}/reports/login/"
        admin_session = _log_in(base_url, "/admin/login/", "admin", logins["admin"])
        assert "Site administration" in admin_session.get(base_url + "/admin/", timeout=30).text
        manager_session = _log_in(base_url, "/reports/login/", "manager", logins["manager"])
        for page in ("/reports/", "/reports/ltv/", "/reports/cohorts/", "/reports/channels/"):
            response = manager_session.get(base_url + page, timeout=60)
            assert (response.status_code, response.url) == (
                200,
                base_url + page,
            )  # not the login page
        # DEBUG is off (finding 1): no technical 404 page, static files still served (by
        # WhiteNoise), and a webhook signed with a secret of the sender's choosing, carrying
        # dj-stripe's secret header, is refused.
        missing = requests.get(base_url + "/no-such-page/", timeout=30)
        assert missing.status_code == 404 and "URLconf" not in missing.text
        stylesheet = requests.get(base_url + "/static/reports/reports.css", timeout=30)
        assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["Content-Type"]
        webhook_url = re.search(r"Webhooks:\s+(\S+)", banner).group(1)
        forged = b'{"id": "evt_forged", "livemode": false, "type": "customer.deleted"}'
        forged_response = requests.post(
            webhook_url,
            data=forged,
            headers={
                "Stripe-Signature": webhook_delivery.signature_header(forged, "whsec_mine"),
                "X-Djstripe-Webhook-Secret": "whsec_mine",
            },
            timeout=30,
        )
        assert forged_response.status_code == 400
        # Reports only: the manager is no staff member.
        assert "/admin/login/" in manager_session.get(base_url + "/admin/", timeout=30).url

        # The live stream's signed webhooks reach the warehouse through the web server.
        live_charges = _wait_for(
            lambda: FactTransaction.objects.filter(
                occurred_at__gte=started_at, transaction_type="charge"
            ).count(),
            120,
            "live charges in fact_transaction",
            demo,
        )
        assert live_charges >= 1
        assert Customer.objects.filter(metadata__source="stripe_dwh demo").exists()
    finally:
        if demo.poll() is None:
            demo.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            demo.wait(timeout=60)
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)

    assert demo.returncode == 0, log_path.read_text()[-3000:]
    assert "Demo stopped." in log_path.read_text()
    assert not is_listening(port) and not is_listening(stripe_port)

    # A second run reuses what is there.
    counts = (get_user_model().objects.count(), Customer.objects.count())
    again = subprocess.run(
        [sys.executable, "manage.py", "demo", "--no-serve", *DEMO_OPTIONS],
        cwd=PROJECT_DIR,
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already loaded" in again.stdout
    assert (get_user_model().objects.count(), Customer.objects.count()) == counts
