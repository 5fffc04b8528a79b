"""Stripe's signature scheme as webhooks.signature checks it (narrow unit tests; the HTTP
behaviour is in test_intake.py)."""

import pytest

from devtools.webhook_delivery import signature_header
from webhooks.signature import SignatureError, verify

SECRET = "whsec_unit"
BODY = b'{"id": "evt_1"}'
NOW = 1_750_000_000


def test_a_stripe_signed_body_passes():
    verify(BODY, signature_header(BODY, SECRET, NOW), SECRET, 300, now=NOW + 299)


def test_any_of_several_v1_signatures_may_match_while_a_secret_rolls():
    header = (
        signature_header(BODY, "whsec_old", NOW)
        + ","
        + signature_header(BODY, SECRET, NOW).split(",")[1]
    )
    verify(BODY, header, SECRET, 300, now=NOW)


@pytest.mark.parametrize(
    "header, reason",
    [
        ("", "bad_signature"),
        ("t=abc,v1=00", "bad_signature"),
        (f"t={NOW},t={NOW},v1=00", "bad_signature"),
        (f"t={NOW}", "bad_signature"),
        (signature_header(BODY, "whsec_other", NOW), "bad_signature"),
        (signature_header(BODY + b" ", SECRET, NOW), "bad_signature"),
        (signature_header(BODY, SECRET, NOW + 301), "timestamp_out_of_tolerance"),
        (signature_header(BODY, SECRET, NOW - 301), "timestamp_out_of_tolerance"),
    ],
    ids=[
        "empty",
        "non-numeric-t",
        "two-t",
        "no-v1",
        "other-secret",
        "other-body",
        "future",
        "past",
    ],
)
def test_refusals_name_their_reason(header, reason):
    with pytest.raises(SignatureError) as refused:
        verify(BODY, header, SECRET, 300, now=NOW)
    assert refused.value.reason == reason


def test_an_endpoint_without_a_secret_refuses_everything():
    with pytest.raises(SignatureError):
        verify(BODY, signature_header(BODY, "", NOW), "", 300, now=NOW)
