"""Who may open the report pages: managers yes, other users 403, anonymous to the login page."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

pytestmark = pytest.mark.django_db

REPORT_URLS = [
    "reports:home",
    "reports:overview",
    "reports:ltv",
    "reports:cohorts",
    "reports:channels",
    "reports:mrr",
    "reports:customers",
]


def test_data_migration_creates_managers_group_with_the_report_permission():
    # Run the migration's own function: a transactional test's flush may have emptied the
    # auth tables of a reused test database since `migrate` ran.
    migration = importlib.import_module("reports.migrations.0002_managers_group")
    Group.objects.filter(name="Managers").delete()

    with connection.schema_editor() as schema_editor:
        migration.create_managers_group(django_apps, schema_editor)
        migration.create_managers_group(django_apps, schema_editor)  # idempotent

    group = Group.objects.get(name="Managers")
    assert [f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()] == [
        "reports.view_reports"
    ]
    user = User.objects.create_user(username="new-manager", password="x-pass-123")
    user.groups.add(group)
    assert User.objects.get(pk=user.pk).has_perm("reports.view_reports")


def test_managers_group_migration_is_applied():
    applied = MigrationRecorder(connection).applied_migrations()

    assert ("reports", "0002_managers_group") in applied


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_anonymous_is_redirected_to_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reports:login')}?next={url}"


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_logged_in_user_without_permission_gets_403(client, django_user_model, url_name):
    client.force_login(
        django_user_model.objects.create_user(username="clerk", password="x-pass-123")
    )

    assert client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_manager_sees_every_page(manager_client, url_name):
    response = manager_client.get(reverse(url_name))

    assert response.status_code == 200
    assert b"<h1>" in response.content


def test_export_needs_the_permission_too(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_user(username="clerk", password="x-pass-123")
    )

    assert client.get(reverse("reports:overview"), {"export": "summary"}).status_code == 403


def test_manager_logs_in_through_the_reports_login_page(client, manager_user):
    response = client.post(
        reverse("reports:login"),
        {"username": "manager", "password": "manager-password-1", "next": reverse("reports:ltv")},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:ltv")
    assert client.get(reverse("reports:ltv")).status_code == 200


def test_admin_links_to_the_reports(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert f'href="{reverse("reports:home")}"'.encode() in response.content


# --- every report page and every CSV export, derived from the URLconf ----------------------

# Views of the reports app open to anyone. Every other URL of the app is a report page and
# must need the permission, so a page added to reports/urls.py is checked here on its own.
PUBLIC_VIEWS = {"login", "logout"}


def report_page_names() -> list[str]:
    from reports import urls

    # pages of one object (the customer page) take an argument: tested in test_customers.py
    names = [
        f"{urls.app_name}:{p.name}"
        for p in urls.urlpatterns
        if p.name not in PUBLIC_VIEWS and "<" not in str(p.pattern)
    ]
    assert names, "no report page found in reports/urls.py"
    return names


def test_the_report_pages_are_found_in_the_urlconf():
    # a sanity check on the derivation, not the list the permission test uses
    assert set(REPORT_URLS) <= set(report_page_names())


@pytest.mark.parametrize("url_name", report_page_names())
def test_every_page_and_export_needs_the_permission(manager_client, django_user_model, url_name):
    from django.test import Client

    from tests.reports.test_pages import page_tables

    url = reverse(url_name)
    page = manager_client.get(url)
    assert page.status_code == 200
    exports = sorted(page_tables(page))
    assert exports, f"{url_name} shows no table to export"
    requests_to_check = [{}] + [{"export": name} for name in exports]
    for query in requests_to_check:
        assert manager_client.get(url, query).status_code == 200, query

    anonymous_client, clerk_client = Client(), Client()
    clerk_client.force_login(
        django_user_model.objects.create_user(username="clerk", password="x-pass-123")
    )
    anonymous = [anonymous_client.get(url, query) for query in requests_to_check]
    without_permission = [clerk_client.get(url, query) for query in requests_to_check]

    assert [r.status_code for r in anonymous] == [302] * len(requests_to_check)
    assert all(r["Location"].startswith(reverse("reports:login")) for r in anonymous)
    assert [r.status_code for r in without_permission] == [403] * len(requests_to_check)
    assert all(b"text/csv" not in r.get("Content-Type", "").encode() for r in without_permission)
