"""Stripe's webhook signature, checked on the raw body before anything parses it.

`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=…]` (several v1
values while a secret is being rolled). stripe-python's own check only refuses timestamps
too far in the past; a timestamp far in the future would let a captured request be replayed
for as long as it likes, so both directions are bounded here.
"""

import hashlib
import hmac
import time


class SignatureError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def verify(payload: bytes, header: str, secret: str, tolerance: int, now: float | None = None):
    """Raise SignatureError unless `header` signs `payload` with `secret` within `tolerance`
    seconds of `now` (either side)."""
    if not secret:
        raise SignatureError("bad_signature", "the endpoint has no signing secret")
    timestamps, signatures = [], []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        raise SignatureError("bad_signature", "malformed Stripe-Signature header")
    timestamp = timestamps[0]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise SignatureError("bad_signature", "no signature matches the payload")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureError(
            "timestamp_out_of_tolerance",
            f"signature timestamp more than {tolerance} s away from the server's clock",
        )
