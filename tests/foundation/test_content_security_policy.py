"""The Content Security Policy on the report pages and the login page (finding 11).

That the pages still work under it (Plotly draws, no CSP violation in the console) is
checked in Chromium by tests/browser/test_reports_browser.py."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize(
    "url_name", ["reports:overview", "reports:ltv", "reports:cohorts", "reports:channels"]
)
def test_report_pages_allow_only_same_origin_scripts(manager_client, url_name):
    response = manager_client.get(reverse(url_name))

    assert response.status_code == 200
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]  # no inline script, no eval
    assert directives["default-src"] == ["'none'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]  # plotly.js's stylesheet


def test_login_page_has_the_policy(client):
    response = client.get(reverse("reports:login"))

    directives = _directives(response)
    assert directives["script-src"] == ["'self'"] and directives["form-action"] == ["'self'"]
