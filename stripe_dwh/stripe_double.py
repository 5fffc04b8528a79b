"""A local Stripe API double: localstripe, plus the routes dj-stripe needs that it lacks.

Used by the tests, the demo and the benchmarks; never in production. Run it with
`python -m stripe_dwh.stripe_double --port 8420` and point stripe-python at it through
STRIPE_API_HOST. localstripe itself is used as installed: this module only adds routes
to its aiohttp application and keeps its state in memory.
"""

import argparse
import socket
import time

from aiohttp import web
from localstripe import server as localstripe_server
from localstripe.resources import store

ACCOUNT_ID = "acct_1LocalStripeDouble0"
ACCOUNT_DEFAULT_CURRENCY = "usd"


def account_payload() -> dict:
    """The platform account, as `GET /v1/account` answers it."""
    return {
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": "stripe_dwh demo", "url": None, "support_email": None},
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "country": "US",
        "created": int(time.time()),
        "default_currency": ACCOUNT_DEFAULT_CURRENCY,
        "details_submitted": True,
        "email": "owner@example.com",
        "metadata": {},
        "payouts_enabled": True,
        "settings": {
            "branding": {"icon": None, "logo": None, "primary_color": None},
            "dashboard": {"display_name": "stripe_dwh demo", "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": "STRIPE DWH"},
        },
        "type": "standard",
    }


async def retrieve_account(request: web.Request) -> web.Response:
    return web.json_response(account_payload())


def build_app() -> web.Application:
    app = localstripe_server.app
    if not getattr(app, "_stripe_dwh_routes", False):
        # localstripe's catch-all routes would not match these paths, so order is free.
        app.router.add_get("/v1/account", retrieve_account)
        app.router.add_get("/v1/accounts/{id}", retrieve_account)
        app._stripe_dwh_routes = True
    # localstripe pickles its whole store to one shared /tmp file after every write;
    # that is slow at scale and lets parallel instances overwrite each other's state.
    store.dump_to_disk = lambda: None
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    web.run_app(build_app(), sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
