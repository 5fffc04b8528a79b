"""register_webhook_endpoint: the local WebhookEndpoint row from settings, no Stripe call."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("register_webhook_endpoint", stdout=out)
    return out.getvalue()


def test_registers_once_and_prints_the_url(settings):
    from djstripe.models import WebhookEndpoint

    settings.PUBLIC_BASE_URL = "https://pay.example.com/"
    settings.STRIPE_WEBHOOK_ENDPOINT_ID = "we_dashboard_1"
    expected_url = f"https://pay.example.com/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/"

    first = _run()
    second = _run()

    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.id, endpoint.url, endpoint.secret) == (
        "we_dashboard_1",
        expected_url,
        settings.STRIPE_WEBHOOK_SECRET,
    )
    assert str(endpoint.djstripe_uuid) == settings.STRIPE_WEBHOOK_UUID
    assert endpoint.livemode is False and endpoint.status == "enabled"
    assert expected_url in first and expected_url in second
    assert "Registered" in first and "Updated" in second


def test_rotated_secret_updates_the_same_row(settings):
    from djstripe.models import WebhookEndpoint

    _run()
    settings.STRIPE_WEBHOOK_SECRET = "whsec_rotated_secret_value"
    _run()

    assert WebhookEndpoint.objects.get().secret == "whsec_rotated_secret_value"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STRIPE_WEBHOOK_SECRET", "", "STRIPE_WEBHOOK_SECRET"),
        ("STRIPE_WEBHOOK_SECRET", "sk_test_wrong_kind", "STRIPE_WEBHOOK_SECRET"),
        ("STRIPE_WEBHOOK_UUID", "not-a-uuid", "STRIPE_WEBHOOK_UUID"),
        ("PUBLIC_BASE_URL", "pay.example.com", "PUBLIC_BASE_URL"),
    ],
)
def test_bad_settings_are_a_clear_error_and_store_nothing(settings, name, value, message):
    from djstripe.models import WebhookEndpoint

    setattr(settings, name, value)
    with pytest.raises(CommandError, match=message):
        _run()
    assert not WebhookEndpoint.objects.exists()


def test_registered_endpoint_accepts_signed_events(settings, client, stripe_double):
    """The row the command writes is the one dj-stripe verifies against."""
    from devtools import webhook_delivery

    _run()
    event = webhook_delivery.event_envelope(
        "shipping_label.printed", {"id": "shl_1", "object": "shipping_label"}
    )
    body = webhook_delivery.json.dumps(event).encode()
    url = f"/stripe/webhook/{uuid.UUID(settings.STRIPE_WEBHOOK_UUID)}/"

    good = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=webhook_delivery.signature_header(
            body, settings.STRIPE_WEBHOOK_SECRET
        ),
    )
    bad = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=webhook_delivery.signature_header(body, "whsec_other"),
    )

    assert (good.status_code, bad.status_code) == (200, 400)
