"""Deliver a Stripe event to a webhook endpoint, signed exactly as Stripe signs it.

Stripe's scheme: header `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" keyed by the endpoint secret>`. Used by the tests, the demo's live
stream and the benchmarks; production receives these from Stripe itself.
"""

import hashlib
import hmac
import json
import secrets
import time

import requests


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = b"%d.%s" % (timestamp, body)
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_envelope(
    event_type: str,
    data_object: dict,
    *,
    event_id: str | None = None,
    created: int | None = None,
    api_version: str | None = None,
    previous_attributes: dict | None = None,
) -> dict:
    """Wrap an API object into the envelope Stripe sends (for types the double does not emit)."""
    data = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": api_version,
        "created": created or int(time.time()),
        "data": data,
        "livemode": bool(data_object.get("livemode", False)),
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def deliver(url: str, event: dict | bytes, secret: str, *, timeout: float = 30, session=None):
    """POST one signed event; returns the `requests.Response`."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature_header(body, secret),
    }
    return (session or requests).post(url, data=body, headers=headers, timeout=timeout)
