"""Who may open the report pages: managers yes, other users 403, anonymous to the login page."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db

REPORT_URLS = ["reports:overview", "reports:ltv", "reports:cohorts", "reports:channels"]


def test_migrate_creates_managers_group_with_the_report_permission():
    group = Group.objects.get(name="Managers")

    assert [f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()] == [
        "reports.view_reports"
    ]


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_anonymous_is_redirected_to_login(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reports:login')}?next={url}"


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_logged_in_user_without_permission_gets_403(client, django_user_model, url_name):
    client.force_login(django_user_model.objects.create_user(username="clerk", password="x-pass-123"))

    assert client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", REPORT_URLS)
def test_manager_sees_every_page(manager_client, url_name):
    response = manager_client.get(reverse(url_name))

    assert response.status_code == 200
    assert b"<h1>" in response.content


def test_export_needs_the_permission_too(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="clerk", password="x-pass-123"))

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

    assert f'href="{reverse("reports:overview")}"'.encode() in response.content
