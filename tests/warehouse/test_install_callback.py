"""The attribution callback endpoint, over real HTTP against the live server."""

import json

import pytest
import requests
from django.urls import reverse

from tests.factories import utc
from warehouse.models import DimChannel, DimClient, FactInstall

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TOKEN = "test-attribution-token-0123456789"  # devtools/settings.py


def payload(install_id="cb-1", **overrides):
    body = {
        "install_id": install_id,
        "user_id": "user-42",
        "device_id": "dev-9",
        "installed_at": "2025-03-01T12:34:56+00:00",
        "os_name": "Android",
        "app_name": "fitapp",
        "app_version": "4.2.0",
        "device_name": "Pixel 8",
        "channel_name": "paid_social",
        "channel_group": "paid",
        "channel_label": "Paid social",
        "country_code": "DE",
        "network_name": "Meta",
        "campaign_name": "spring",
        "ip_address": "203.0.113.9",
    }
    body.update(overrides)
    return body


@pytest.fixture
def callback_url(live_server):
    return live_server.url + reverse("warehouse:install_callback")


def test_url_is_the_documented_one():
    assert reverse("warehouse:install_callback") == "/warehouse/installs/callback/"


def test_post_stores_a_new_install_and_a_repeat_changes_nothing(callback_url):
    response = requests.post(
        callback_url, json=payload(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )

    assert response.status_code == 201, response.text
    assert response.json() == {"install_id": "cb-1", "created": True}
    install = FactInstall.objects.select_related("client", "channel").get(install_id="cb-1")
    assert (install.user_id, install.installed_at, install.ip_address) == (
        "user-42",
        utc(2025, 3, 1, 12, 34, 56),
        "203.0.113.9",
    )
    assert (install.client.os_name, install.channel.channel_name, install.date_id) == (
        "Android",
        "paid_social",
        20250301,
    )

    repeat = requests.post(
        callback_url,
        json=payload(user_id="someone-else"),
        headers={"X-Attribution-Token": TOKEN},
        timeout=10,
    )

    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == {"install_id": "cb-1", "created": False}
    assert FactInstall.objects.count() == 1
    assert FactInstall.objects.get().user_id == "user-42"


def test_get_with_query_parameters_adjust_style(callback_url):
    params = payload("cb-get", installed_at="1740832496", tracker="abc123")
    headers = {"X-Attribution-Token": TOKEN}

    response = requests.get(callback_url, params=params, headers=headers, timeout=10)

    assert response.status_code == 201, response.text
    install = FactInstall.objects.get(install_id="cb-get")
    assert install.installed_at == utc(2025, 3, 1, 12, 34, 56)
    assert requests.get(callback_url, params=params, headers=headers, timeout=10).status_code == 200
    assert FactInstall.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_token_in_the_query_string_is_refused_even_when_right(callback_url, method):
    """Finding 8: ?token= ended up in the access log. Tokens go in headers only."""
    response = requests.request(
        method,
        callback_url,
        params={"token": TOKEN, **(payload() if method == "get" else {})},
        json=payload() if method == "post" else None,
        timeout=10,
    )

    assert response.status_code == 400
    assert "query string" in response.json()["errors"]["token"]
    assert not FactInstall.objects.exists()


def test_invalid_utf8_in_a_get_query_is_a_400_naming_the_field(callback_url):
    """Finding 8: %FF was silently replaced by U+FFFD and stored, mangling the id."""
    query = "&".join(f"{key}={value}" for key, value in payload().items() if key != "install_id")
    response = requests.get(
        f"{callback_url}?install_id=cb-%FF%FE&{query}",
        headers={"X-Attribution-Token": TOKEN},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json() == {"errors": {"install_id": "is not valid UTF-8"}}
    assert not FactInstall.objects.exists()


@pytest.mark.parametrize(
    "field, raw_value",
    [
        ("install_id", '"cb-\\ud800"'),  # a lone surrogate, as JSON text
        ("user_id", '"u-\\udfff-1"'),
        ("install_id", '{"nested": ["value"]}'),
        ("channel_name", '["paid", "social"]'),
        ("install_id", '"cb-1\\nadmin"'),  # control characters in ids (finding 10)
        ("device_id", '"dev\\u0000"'),
    ],
    ids=["surrogate-id", "surrogate-user", "nested-object", "nested-list", "newline", "nul"],
)
def test_unstorable_json_values_are_a_400_naming_the_field(callback_url, field, raw_value):
    """Finding 8: a lone surrogate or a nested value answered 500."""
    fields = {key: json.dumps(value) for key, value in payload().items()}
    fields[field] = raw_value
    body = "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + "}"

    response = requests.post(
        callback_url,
        data=body.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 400, response.text
    assert list(response.json()["errors"]) == [field]
    assert not FactInstall.objects.exists()


def test_a_replay_with_another_channel_adds_no_dimension_rows(callback_url):
    """Finding 9: the replay answered created: false but inserted a dim_channel row, which
    showed in "top channels" with 0 installs."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    first = requests.post(callback_url, json=payload(), headers=headers, timeout=10)
    replay = requests.post(
        callback_url,
        json=payload(channel_name="replayed_channel", os_name="Replayed OS"),
        headers=headers,
        timeout=10,
    )

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["created"] is False
    assert list(DimChannel.objects.values_list("channel_name", flat=True)) == ["paid_social"]
    assert list(DimClient.objects.values_list("os_name", flat=True)) == ["Android"]


@pytest.mark.parametrize(
    "credentials",
    [
        {},
        {"headers": {"Authorization": "Bearer wrong-token"}},
        {"headers": {"Authorization": f"Basic {TOKEN}"}},
        {"headers": {"X-Attribution-Token": TOKEN[:-1]}},
        {"headers": {"Authorization": "Bearer "}},
    ],
    ids=["missing", "wrong-bearer", "not-bearer", "wrong-header", "empty-bearer"],
)
def test_missing_or_wrong_token_is_refused_and_nothing_stored(callback_url, credentials):
    response = requests.post(callback_url, json=payload(), timeout=10, **credentials)

    assert response.status_code == 403
    assert not FactInstall.objects.exists()


def test_get_with_wrong_token_is_refused(callback_url):
    response = requests.get(
        callback_url, params=payload(), headers={"X-Attribution-Token": "nope"}, timeout=10
    )
    assert response.status_code == 403
    assert not FactInstall.objects.exists()


def test_an_unconfigured_token_refuses_everything(callback_url, settings):
    settings.ATTRIBUTION_CALLBACK_TOKEN = ""
    for credentials in (
        {},
        {"headers": {"Authorization": "Bearer "}},
        {"headers": {"Authorization": f"Bearer {TOKEN}"}},
    ):
        response = requests.post(callback_url, json=payload(), timeout=10, **credentials)
        assert response.status_code == 403, credentials
    assert not FactInstall.objects.exists()


def test_invalid_payload_gets_400_with_field_errors(callback_url):
    bad = payload(user_id="", installed_at="03/01/2025", ip_address="999.1.1.1")

    response = requests.post(
        callback_url, json=bad, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"user_id", "installed_at", "ip_address"}
    assert errors["user_id"] == "is required"
    assert not FactInstall.objects.exists()


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b"\xff\xfe"], ids=["broken", "array", "binary"]
)
def test_a_body_that_is_not_a_json_object_gets_400(callback_url, body):
    response = requests.post(
        callback_url,
        data=body,
        timeout=10,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]
    assert not FactInstall.objects.exists()


def test_other_methods_are_not_allowed(callback_url):
    response = requests.put(
        callback_url, json=payload(), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 405
    assert not FactInstall.objects.exists()


def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(callback_url):
    deep = b'{"install_id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    response = requests.post(
        callback_url,
        data=deep,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 400
    assert "nests deeper" in response.json()["errors"]["__all__"]
    assert not FactInstall.objects.exists()
