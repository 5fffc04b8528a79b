"""Shared fixtures: the Stripe API double, the live server's webhook endpoint, signed delivery."""

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import stripe
from django.conf import settings

from devtools import webhook_delivery
from devtools.ports import free_port, wait_for_port

PROJECT_DIR = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session, exitstatus):
    """Stop the embedded PostgreSQL if this test run started it (no daemon left behind)."""
    from stripe_dwh import embedded_postgres

    if embedded_postgres.started_by_this_process:
        from django.db import connections

        connections.close_all()
        embedded_postgres.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The warehouse's views (warehouse/database_views.py) made again from the current `.sql`
    files: a database kept with --reuse-db (or by `make mutants`) holds the versions of the
    files it was migrated with."""
    from django.db import connection

    from warehouse.database_views import create_database_views, drop_database_views

    with django_db_blocker.unblock():
        drop_database_views(connection)
        create_database_views(connection)


@contextmanager
def stripe_double_process(*options: str):
    """A Stripe API double process (devtools/stripe_double.py) on a free port, started with
    these command-line options; yields its URL and stops it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.stripe_double", "--port", str(port), *options],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "Stripe API double", timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def stripe_api_at(url: str):
    """stripe-python (and so dj-stripe) pointed at `url` with the test key, then back."""
    previous_base, previous_key = stripe.api_base, stripe.api_key
    stripe.api_base = url
    stripe.api_key = settings.STRIPE_TEST_SECRET_KEY
    try:
        yield
    finally:
        stripe.api_base, stripe.api_key = previous_base, previous_key


@pytest.fixture
def stripe_unreachable():
    """Any Stripe API call fails (nothing listens on port 9): what runs must not need one."""
    previous = stripe.api_base
    stripe.api_base = "http://127.0.0.1:9"
    yield
    stripe.api_base = previous


@pytest.fixture(scope="session")
def stripe_double_url():
    """One Stripe API double process on a free port, for the session."""
    with stripe_double_process() as url:
        yield url


@pytest.fixture
def stripe_double(stripe_double_url):
    """Points stripe-python (and so dj-stripe) at the Stripe API double for one test.

    Function-scoped on purpose: some tests point stripe.api_base elsewhere (a dead port,
    a fault-injecting proxy) and pytest-django reorders tests, so each test sets it afresh.
    """
    with stripe_api_at(stripe_double_url):
        yield stripe_double_url


@pytest.fixture
def empty_stripe_double(stripe_double):
    """The Stripe API double emptied first, for tests that list everything it holds."""
    requests.delete(f"{stripe_double}/_config/data", timeout=10).raise_for_status()
    return stripe_double


@pytest.fixture
def webhook_endpoint(live_server, stripe_double):
    """dj-stripe's WebhookEndpoint row for the live server, with the known test secret."""
    from tests.factories import WebhookEndpointFactory

    return WebhookEndpointFactory(base_url=live_server.url)


@pytest.fixture
def deliver_event(webhook_endpoint):
    """POST a Stripe event (dict or raw bytes) to the live server, signed with the endpoint
    secret."""
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
        content_type=content_type,
        codename="view_reports",
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
