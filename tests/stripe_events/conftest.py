"""Fixtures of the Stripe events tests: the payments fixtures, a Stripe API of another
account, and helpers that read the double's event log."""

import http.server
import json
import threading

import pytest
import requests
import stripe

from tests.warehouse.conftest import deliver_ok, shop  # noqa: F401  (fixtures)


class _OtherAccountApi(http.server.ThreadingHTTPServer):
    """A Stripe API that holds nothing of ours: every GET answers Stripe's 404, as Stripe does
    for a key of another account or of the other mode."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _NotFoundHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _NotFoundHandler(http.server.BaseHTTPRequestHandler):
    def _not_found(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        collection = parts[1].rstrip("s") if len(parts) > 1 else "object"
        object_id = parts[2] if len(parts) > 2 else ""
        body = json.dumps(
            {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "id",
                    "message": f"No such {collection}: '{object_id}'",
                }
            }
        ).encode()
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _not_found

    def log_message(self, *args):
        pass


class _ApiSwitch:
    def __init__(self, double_url: str, other_url: str):
        self.double_url, self.other_url = double_url, other_url

    def other_account(self):
        stripe.api_base = self.other_url

    def double(self):
        stripe.api_base = self.double_url


@pytest.fixture
def api_switch(stripe_double):
    """Switches stripe-python between the double and an API where none of the double's
    objects exist (another account's key, the other mode, a double restarted empty)."""
    server = _OtherAccountApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    switch = _ApiSwitch(stripe_double, server.url)
    yield switch
    switch.double()
    server.shutdown()
    server.server_close()


def event_log(base_url: str) -> list[dict]:
    """Every event the double holds, oldest first (paged as Stripe pages)."""
    events = [event.to_dict() for event in stripe.Event.list(limit=100).auto_paging_iter()]
    events.reverse()
    return events


def inject_events(base_url: str, events: list[dict]) -> list[str]:
    response = requests.post(f"{base_url}/_test/events", json={"events": events}, timeout=30)
    response.raise_for_status()
    return response.json()["ids"]
