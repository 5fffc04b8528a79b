"""Report-page fixtures: the payments helpers of tests/warehouse, and the pages over real HTTP."""

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from tests.warehouse.conftest import deliver_ok, shop  # noqa: F401  (fixtures shared with warehouse)


@pytest.fixture
def report_over_http(live_server, manager_client):
    """GET a report page (or, with export=..., its CSV) from the live server as a manager."""
    session = requests.Session()
    session.cookies.set(
        settings.SESSION_COOKIE_NAME, manager_client.cookies[settings.SESSION_COOKIE_NAME].value
    )

    def get(url_name: str, **params) -> requests.Response:
        response = session.get(live_server.url + reverse(url_name), params=params, timeout=30)
        assert response.status_code == 200, response.text[:2000]
        return response

    yield get
    session.close()
