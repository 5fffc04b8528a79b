"""Shared fixtures: the Stripe API double, the live server's webhook endpoint, signed delivery."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import stripe
from django.conf import settings

from stripe_dwh import webhook_delivery

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Stripe API double exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Stripe API double did not listen on port {port} in {timeout}s")


@pytest.fixture(scope="session")
def stripe_double():
    """A localstripe process on a free port; stripe-python and dj-stripe point at it."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_dwh.stripe_double", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}"
        previous_base = stripe.api_base
        stripe.api_base = url
        stripe.api_key = settings.STRIPE_TEST_SECRET_KEY
        yield url
        stripe.api_base = previous_base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def webhook_endpoint(live_server, stripe_double):
    """dj-stripe's WebhookEndpoint row for the live server, with the known test secret."""
    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        id="we_" + "test" * 6,
        livemode=False,
        api_version="",
        enabled_events=["*"],
        secret=settings.STRIPE_WEBHOOK_SECRET,
        status="enabled",
        url=live_server.url + "/stripe/webhook/" + settings.STRIPE_WEBHOOK_UUID + "/",
        djstripe_uuid=settings.STRIPE_WEBHOOK_UUID,
    )
    return endpoint


@pytest.fixture
def deliver_event(webhook_endpoint):
    """POST a Stripe event (dict or raw bytes) to the live server, signed with the endpoint secret."""
    session = requests.Session()

    def deliver(event, *, secret=None):
        return webhook_delivery.deliver(
            webhook_endpoint.url, event, secret or webhook_endpoint.secret, session=session
        )

    yield deliver
    session.close()


@pytest.fixture
def stripe_event():
    """Wrap a Stripe API object (dict or StripeObject) into a Stripe event envelope."""

    def wrap(event_type, data_object, **kwargs):
        if hasattr(data_object, "to_dict"):
            data_object = data_object.to_dict()
        return webhook_delivery.event_envelope(event_type, data_object, **kwargs)

    return wrap


# --- reports (issue 5) ---------------------------------------------------------------


def _managers_group():
    """The "Managers" group of the data migration; re-created the same way if a transactional
    test's flush emptied the auth tables."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    group, _ = Group.objects.get_or_create(name="Managers")
    content_type, _ = ContentType.objects.get_or_create(app_label="reports", model="reportaccess")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_reports",
        defaults={"name": "Can view the report pages"},
    )
    group.permissions.add(permission)
    return group


@pytest.fixture
def manager_user(django_user_model):
    """A non-staff user in the "Managers" group (password: manager-password-1)."""
    user = django_user_model.objects.create_user(
        username="manager", email="manager@example.com", password="manager-password-1"
    )
    user.groups.add(_managers_group())
    return user


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client
