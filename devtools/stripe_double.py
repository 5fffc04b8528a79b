"""A local Stripe API double: localstripe, plus what dj-stripe and the tests need that it lacks.

Used by the tests, the demo and the benchmarks; never in production. Run it with
`python -m devtools.stripe_double --port 8420` and point stripe-python at it through
STRIPE_API_HOST. localstripe itself is used as installed: this module adds routes and a
middleware to its aiohttp application and keeps its state in memory. Added, in memory:
- `GET /v1/account` (the platform account) and `GET /v1/accounts` (no connected accounts,
  which `djstripe_sync_models` lists first);
- disputes: `GET /v1/disputes/{id}`; test-only `POST /_test/disputes` (JSON: charge,
  reason, and optionally settlement amount/currency/fee) opens one with its funds-withdrawn
  balance transaction, `POST /_test/disputes/{id}/close` (JSON: status won|lost) closes it,
  adding the funds-reinstated balance transaction when won;
- `POST /_test/balance_transactions/{id}` (JSON: amount, currency, fee) re-states a
  balance transaction in another settlement currency, as Stripe does for a charge in a
  currency the account does not settle in;
- an event log: every change records Stripe-shaped events, listed by `GET /v1/events` with
  Stripe's paging parameters (devtools/stripe_event_log.py);
- `POST /_test/objects/{object}/{id}` (JSON: top-level fields) overwrites fields of a stored
  localstripe object, e.g. `created` to backdate a charge, a refund or their balance
  transactions, or `status`/`failure_reason` to make a succeeded refund fail later;
- Stripe Billing at API version 2026-05-27.dahlia (products, prices, coupons,
  subscriptions, invoices and their lines, invoice items, invoice payments), served from
  scenarios of `devtools.billing` loaded through `POST /_test/billing/objects`: see
  devtools/billing/double.py;
- `DELETE /_config/data` (localstripe's) empties the double, these additions included;
- `--read-delay-ms N` (or, at run time, `POST /_config/read_delay` with JSON `{"ms": N}`)
  answers every API read (`GET /v1/...`) N ms late, as a distant Stripe would: the webhook
  processing's retrievals and lists then take realistic time;
- Stripe's answers where localstripe differs: a missing object is a 404 with code
  `resource_missing` and "No such <object>: '<id>'"; a deleted customer is still
  retrievable as `{"id": …, "object": "customer", "deleted": true}`; a charge retrieved
  with a `Stripe-Version` of 2022-11-15 or later has no embedded `refunds` list unless
  expanded (as dj-stripe's pinned version sees it, so refunds reach it only through refund
  events, `charge.refunded` and listing).
"""

import argparse
import asyncio
import json
import re
import secrets
import socket
import time

from aiohttp import web
from localstripe import server as localstripe_server
from localstripe.resources import BalanceTransaction, Charge, store

from devtools import stripe_event_log
from devtools.billing import double as billing_double

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


disputes: dict[str, dict] = {}
dispute_balance_transactions: dict[str, dict] = {}
deleted_customers: set[str] = set()

# From this API version on, Stripe no longer embeds a charge's refunds in the charge.
CHARGE_REFUNDS_DROPPED_IN = "2022-11-15"

OBJECT_PATH = re.compile(r"^/v1/(?P<collection>[a-z_]+)s/(?P<id>[A-Za-z0-9_]+)$")


def _balance_transaction(amount: int, currency: str, fee: int, source: str, category: str) -> dict:
    created = int(time.time())
    bt = {
        "id": "txn_" + secrets.token_hex(12),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created,
        "created": created,
        "currency": currency,
        "description": f"Chargeback {category}",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [],
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": "adjustment",
    }
    dispute_balance_transactions[bt["id"]] = bt
    return bt


async def open_dispute(request: web.Request) -> web.Response:
    body = await request.json()
    charge = Charge._api_retrieve(body["charge"])
    charge_bt = BalanceTransaction._api_retrieve(charge.balance_transaction)
    dispute_id = "dp_" + secrets.token_hex(12)
    settlement = int(body.get("settlement_amount", charge_bt.amount))
    withdrawal = _balance_transaction(
        -settlement,
        body.get("settlement_currency", charge_bt.currency),
        int(body.get("fee", 1500)),
        dispute_id,
        "dispute",
    )
    disputes[dispute_id] = {
        "id": dispute_id,
        "object": "dispute",
        "amount": charge.amount,
        "balance_transactions": [withdrawal],
        "charge": charge.id,
        "created": int(time.time()),
        "currency": charge.currency,
        "evidence": {},
        "evidence_details": {
            "due_by": int(time.time()) + 86400 * 7,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge.payment_intent,
        "reason": body.get("reason", "fraudulent"),
        "status": "needs_response",
    }
    stripe_event_log.record("charge.dispute.created", dict(disputes[dispute_id]))
    stripe_event_log.record("charge.dispute.funds_withdrawn", dict(disputes[dispute_id]))
    return web.json_response(disputes[dispute_id])


async def close_dispute(request: web.Request) -> web.Response:
    dispute = disputes[request.match_info["id"]]
    status = (await request.json())["status"]
    dispute["status"] = status
    if status == "won":
        withdrawal = dispute["balance_transactions"][0]
        dispute["balance_transactions"].append(
            _balance_transaction(
                -withdrawal["amount"],
                withdrawal["currency"],
                -withdrawal["fee"],
                dispute["id"],
                "dispute_reversal",
            )
        )
        stripe_event_log.record("charge.dispute.funds_reinstated", dict(dispute))
    stripe_event_log.record("charge.dispute.closed", dict(dispute))
    return web.json_response(dispute)


async def restate_balance_transaction(request: web.Request) -> web.Response:
    bt = BalanceTransaction._api_retrieve(request.match_info["id"])
    body = await request.json()
    bt.amount = int(body["amount"])
    bt.currency = body["currency"]
    bt.fee = int(body.get("fee", 0))
    bt.exchange_rate = body.get("exchange_rate")
    return web.json_response(bt._export())


# Fields a test may overwrite: enough to backdate objects and to fail a refund, nothing that
# would break localstripe's own bookkeeping (ids, amounts, links between objects).
SETTABLE_FIELDS = {"created", "status", "failure_reason", "failure_balance_transaction"}


async def set_object_fields(request: web.Request) -> web.Response:
    key = f"{request.match_info['object']}:{request.match_info['id']}"
    stored = store.get(key)
    if stored is None:
        return _missing(request.match_info["object"], request.match_info["id"])
    body = await request.json()
    unknown = set(body) - SETTABLE_FIELDS
    if unknown:
        return web.json_response(
            {"error": {"type": "invalid_request_error", "message": f"Not settable: {unknown}"}},
            status=400,
        )
    for field, value in body.items():
        setattr(stored, field, value)
    return web.json_response(stored._export())


async def list_connected_accounts(request: web.Request) -> web.Response:
    """The platform has no connected accounts (djstripe_sync_models asks first)."""
    return web.json_response(
        {"object": "list", "data": [], "has_more": False, "url": "/v1/accounts"}
    )


def _missing(collection: str, object_id: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "id",
                "message": f"No such {collection}: '{object_id}'",
            }
        },
        status=404,
    )


READ_DELAY_SECONDS = 0.0


async def configure_read_delay(request: web.Request) -> web.Response:
    global READ_DELAY_SECONDS
    READ_DELAY_SECONDS = max(0, int((await request.json())["ms"])) / 1000
    return web.json_response({"ms": round(READ_DELAY_SECONDS * 1000)})


@web.middleware
async def read_delay_middleware(request: web.Request, handler):
    if READ_DELAY_SECONDS and request.method == "GET" and request.path.startswith("/v1/"):
        await asyncio.sleep(READ_DELAY_SECONDS)
    return await handler(request)


LIST_PATH = re.compile(r"^/v1/(?P<collection>[a-z_]+)$")
# List parameters Stripe takes that localstripe refuses; the double applies them itself.
_LIST_PARAMETERS = ("created", "starting_after", "ending_before", "limit")


async def list_disputes(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "object": "list",
            "data": list(disputes.values()),
            "has_more": False,
            "url": "/v1/disputes",
        }
    )


async def _stripe_shaped_list(request: web.Request, handler) -> web.Response:
    """A list filtered by `created` (or paged back with `ending_before`), newest first, over
    localstripe's whole list: localstripe knows neither, and refuses `created` on most
    objects. Lists without them stay localstripe's."""
    query = request.rel_url.query
    kept = {
        key: value
        for key, value in query.items()
        if not key.startswith(_LIST_PARAMETERS) and not (key == "status" and value == "all")
    }
    kept["limit"] = "1000000"
    response = await handler(request.clone(rel_url=request.rel_url.with_query(kept)))
    if response.status != 200:
        return response
    answer = json.loads(response.text)
    if answer.get("object") != "list":
        return response
    items = answer["data"]
    filters = stripe_event_log.created_filters(query)
    items = [item for item in items if all(f(item) for f in filters)]
    items.sort(key=lambda item: item.get("created", 0), reverse=True)
    try:
        page = stripe_event_log.page_newest_first(items, query, request.path)
    except ValueError as exc:
        return web.json_response(
            {"error": {"type": "invalid_request_error", "message": str(exc)}}, status=400
        )
    except LookupError as exc:
        return _missing(request.path.rsplit("/", 1)[-1].rstrip("s"), exc.args[0])
    return web.json_response(page)


@web.middleware
async def stripe_shaped_middleware(request: web.Request, handler):
    if (
        request.method == "GET"
        and LIST_PATH.match(request.path)
        and request.path not in ("/v1/events", "/v1/accounts", "/v1/disputes")
        and any(key.startswith(("created", "ending_before")) for key in request.rel_url.query)
    ):
        return await _stripe_shaped_list(request, handler)
    if request.method == "DELETE" and request.path == "/_config/data":
        # localstripe's "forget everything" also forgets what this module keeps.
        disputes.clear()
        dispute_balance_transactions.clear()
        deleted_customers.clear()
    match = OBJECT_PATH.match(request.path)
    if match and request.method == "GET":
        collection, object_id = match["collection"], match["id"]
        if collection == "dispute":
            return (
                web.json_response(disputes[object_id])
                if object_id in disputes
                else _missing(collection, object_id)
            )
        if collection == "balance_transaction" and object_id in dispute_balance_transactions:
            return web.json_response(dispute_balance_transactions[object_id])
        if collection == "customer" and object_id in deleted_customers:
            return web.json_response({"id": object_id, "object": "customer", "deleted": True})
    response = await handler(request)
    if match and request.method == "DELETE" and match["collection"] == "customer":
        if response.status == 200:
            deleted_customers.add(match["id"])
        elif match["id"] in deleted_customers:
            return _missing(match["collection"], match["id"])
    if match and response.status == 404:
        return _missing(match["collection"], match["id"])
    if (
        match
        and request.method == "GET"
        and match["collection"] == "charge"
        and response.status == 200
        and request.headers.get("Stripe-Version", "")[:10] >= CHARGE_REFUNDS_DROPPED_IN
        and "refunds" not in request.query.getall("expand[]", [])
    ):
        charge = json.loads(response.body)
        charge.pop("refunds", None)
        return web.json_response(charge)
    return response


def build_app() -> web.Application:
    app = localstripe_server.app
    if not getattr(app, "_stripe_dwh_routes", False):
        # Stripe-shaped answers must wrap localstripe's own handlers, so it goes first.
        app.middlewares.insert(0, stripe_shaped_middleware)
        app.middlewares.insert(0, read_delay_middleware)
        # The event log sees every request first (and the Stripe-shaped answers last).
        stripe_event_log.install(app)
        # localstripe's catch-all routes would not match these paths, so order is free.
        app.router.add_get("/v1/account", retrieve_account)
        app.router.add_get("/v1/accounts", list_connected_accounts)
        app.router.add_get("/v1/accounts/{id}", retrieve_account)
        app.router.add_get("/v1/disputes", list_disputes)
        app.router.add_post("/_test/disputes", open_dispute)
        app.router.add_post("/_test/disputes/{id}/close", close_dispute)
        app.router.add_post("/_test/balance_transactions/{id}", restate_balance_transaction)
        app.router.add_post("/_config/read_delay", configure_read_delay)
        app.router.add_post("/_test/objects/{object}/{id}", set_object_fields)
        billing_double.install(app)
        billing_double.lift_load_size_limit(app)
        app._stripe_dwh_routes = True
    # localstripe pickles its whole store to one shared /tmp file after every write;
    # that is slow at scale and lets parallel instances overwrite each other's state.
    store.dump_to_disk = lambda: None
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--read-delay-ms", type=int, default=0, help="delay of every API read")
    parser.add_argument(
        "--latency-ms", type=float, default=0, help="wait this long before every /v1/ answer"
    )
    args = parser.parse_args()
    global READ_DELAY_SECONDS
    READ_DELAY_SECONDS = args.read_delay_ms / 1000
    stripe_event_log.latency["seconds"] = args.latency_ms / 1000
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    web.run_app(build_app(), sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main()
