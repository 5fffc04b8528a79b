"""Stripe Billing in the Stripe API double: serves a simulated scenario's objects.

localstripe's own billing objects have pre-basil shapes, so the double serves Billing from
this module instead, for the objects a test or the demo loads (the output of
`BillingSimulator.objects()`):
- `POST /_test/billing/objects` (JSON `{collection: [objects]}`, collections as in
  `objects()`) stores or replaces them by id; `DELETE /_config/data` forgets them; an
  `events` collection (the simulator's `events`) goes into the double's event log
  (`GET /v1/events`, devtools/stripe_event_log.py), each event once, so the catch-up
  (`sync_stripe_events`) sees the scenario's events as Stripe would list them;
- lists, newest first, with `limit` (≤ 100), `starting_after`, `ending_before` and
  equality filters on top-level fields (and `subscription` on invoices and invoice items,
  `invoice` on invoice payments; subscriptions without `status` omit canceled ones, as
  Stripe does): `GET /v1/products`, `/v1/prices`, `/v1/plans`, `/v1/coupons`,
  `/v1/subscriptions`, `/v1/subscription_items`, `/v1/invoices`, `/v1/invoiceitems`,
  `/v1/invoice_payments`, and `/v1/invoices/{id}/lines`;
- retrieval of each of those by id, and of the scenario's charges, payment intents,
  balance transactions, refunds and customers (other ids fall through to localstripe);
- `GET /v1/refunds?charge=` for a scenario's charge lists its refunds (the charge's
  `refunds`, as the simulator keeps them; what `charge.refunded` makes the warehouse ask
  for); other refund lists fall through to localstripe;
  `GET /v1/products/{id}/features` answers an empty list (dj-stripe asks on every product);
- `expand[]` on any path whose value is an id (or a list of ids) the double holds, e.g.
  dj-stripe's `discounts`, `lines.data.discounts`, `balance_transaction`, `product`; an
  invoice's includable `payments` only when `expand[]=payments` asks for it.
A charge's balance transaction is served as an id unless expanded, as Stripe does.
"""

import copy
import json

from aiohttp import web

from devtools import stripe_event_log

LISTED = {
    "products",
    "prices",
    "plans",
    "coupons",
    "subscriptions",
    "subscription_items",
    "invoices",
    "invoiceitems",
    "invoice_payments",
}
RETRIEVED_ONLY = {
    "charges",
    "payment_intents",
    "balance_transactions",
    "customers",
    "discounts",
    "refunds",
}
# Plans, subscription items, balance transactions and refunds come inside prices,
# subscriptions and charges.
LOADABLE = (LISTED | RETRIEVED_ONLY | {"events"}) - {
    "plans",
    "subscription_items",
    "balance_transactions",
    "refunds",
}
MAX_LOAD_BYTES = 64 * 1024 * 1024
LOAD_PATH = "/_test/billing/objects"

collections: dict[str, dict[str, dict]] = {name: {} for name in LISTED | RETRIEVED_ONLY}
_by_id: dict[str, dict] = {}
_order: dict[str, int] = {}


def clear() -> None:
    for objects in collections.values():
        objects.clear()
    _by_id.clear()
    _order.clear()


def _put(collection: str, obj: dict) -> None:
    collections[collection][obj["id"]] = obj
    _by_id[obj["id"]] = obj
    _order.setdefault(obj["id"], len(_order))


def load(objects: dict[str, list[dict]]) -> dict[str, int]:
    """Store (or replace) a scenario's objects; returns how many per collection."""
    unknown = set(objects) - LOADABLE
    if unknown:
        raise ValueError(f"unknown collections: {', '.join(sorted(unknown))}")
    for collection, rows in objects.items():  # all checked before anything is stored
        if not isinstance(rows, list) or not all(
            isinstance(row, dict) and isinstance(row.get("id"), str) for row in rows
        ):
            raise ValueError(f"{collection}: a list of objects with ids")
        if collection == "events" and not all(
            isinstance(row.get("created"), int) and isinstance(row.get("type"), str) for row in rows
        ):
            raise ValueError("events: each with an integer `created` and a `type`")
    counts = {}
    for collection, rows in objects.items():
        counts[collection] = len(rows)
        if collection == "events":
            stripe_event_log.add_once(copy.deepcopy(rows))
            continue
        for row in rows:
            row = copy.deepcopy(row)
            if collection == "charges" and isinstance(row.get("balance_transaction"), dict):
                _put("balance_transactions", row["balance_transaction"])
                row["balance_transaction"] = row["balance_transaction"]["id"]
            if collection == "charges":
                for refund in (row.get("refunds") or {}).get("data") or []:
                    refund = copy.deepcopy(refund)
                    if isinstance(refund.get("balance_transaction"), dict):
                        _put("balance_transactions", refund["balance_transaction"])
                        refund["balance_transaction"] = refund["balance_transaction"]["id"]
                    _put("refunds", refund)
            if collection == "subscriptions":
                for item in row["items"]["data"]:
                    _put("subscription_items", item)
            if collection == "prices" and row.get("recurring"):
                _put("plans", _plan(row))
            _put(collection, row)
    return counts


def _plan(price: dict) -> dict:
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": price["livemode"],
        "metadata": price["metadata"],
        "meter": recurring["meter"],
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": recurring["usage_type"],
    }


# --- answers ----------------------------------------------------------------------------
def _expand_paths(query) -> list[list[str]]:
    paths = [value for key, value in query.items() if key == "expand" or key.startswith("expand[")]
    return [path.split(".") for path in paths]


def _expand(value, path: list[str]):
    if not path:
        if isinstance(value, str) and value in _by_id:
            return copy.deepcopy(_by_id[value])
        if isinstance(value, list):
            return [_expand(entry, []) for entry in value]
        return value
    if isinstance(value, list):
        return [_expand(entry, path) for entry in value]
    if isinstance(value, str) and value in _by_id:
        value = copy.deepcopy(_by_id[value])
    if not isinstance(value, dict) or path[0] not in value:
        return value
    value[path[0]] = _expand(value[path[0]], path[1:])
    return value


def _render(obj: dict, query) -> dict:
    paths = _expand_paths(query)
    if obj.get("object") == "invoice" and ["payments"] not in paths:
        # Includable: Stripe answers without it unless it is expanded.
        obj = {k: v for k, v in obj.items() if k != "payments"}
    obj = copy.deepcopy(obj)
    for path in paths:
        if path != ["payments"]:
            obj = _expand(obj, path)
    return obj


def _missing(collection: str, object_id: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "id",
                "message": f"No such {collection.rstrip('s')}: '{object_id}'",
            }
        },
        status=404,
    )


def _bad_request(message: str, param: str | None = None) -> web.Response:
    return web.json_response(
        {"error": {"type": "invalid_request_error", "message": message, "param": param}},
        status=400,
    )


FILTER_PATHS = {
    ("invoices", "subscription"): ("parent", "subscription_details", "subscription"),
    ("invoiceitems", "subscription"): ("parent", "subscription_details", "subscription"),
}
PAGING = {"limit", "starting_after", "ending_before"}


def _field(obj: dict, path) -> object:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _list(url: str, collection: str, rows: list[dict], query) -> web.Response:
    filters = {
        key: value
        for key, value in query.items()
        if key not in PAGING and key != "expand" and not key.startswith("expand[")
    }
    if collection == "subscriptions":
        status = filters.pop("status", None)
        if status is None:
            rows = [row for row in rows if row["status"] != "canceled"]
        elif status != "all":
            rows = [row for row in rows if row["status"] == status]
    for key, value in filters.items():
        if "[" in key:
            return _bad_request(f"Received unknown parameter: {key}", key)
        path = FILTER_PATHS.get((collection, key), (key,))
        rows = [row for row in rows if _matches(_field(row, path), value)]
    rows = sorted(rows, key=lambda row: (row.get("created", 0), _order.get(row["id"], 0)))
    rows.reverse()  # newest first
    try:
        limit = int(query.get("limit", 10))
    except ValueError:
        return _bad_request("Invalid integer: limit", "limit")
    if not 1 <= limit <= 100:
        return _bad_request("limit must be between 1 and 100", "limit")
    ids = [row["id"] for row in rows]
    if "starting_after" in query:
        if query["starting_after"] not in ids:
            return _missing(collection, query["starting_after"])
        rows = rows[ids.index(query["starting_after"]) + 1 :]
    elif "ending_before" in query:
        if query["ending_before"] not in ids:
            return _missing(collection, query["ending_before"])
        rows = rows[: ids.index(query["ending_before"])][-limit:]
    page = rows[:limit]
    return web.json_response(
        {
            "object": "list",
            "data": [_render(row, _data_query(query)) for row in page],
            "has_more": len(rows) > limit,
            "url": url,
        }
    )


def _matches(actual, wanted: str) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    return actual is not None and str(actual) == wanted


def _data_query(query) -> dict:
    """List expansions are `data.<path>`: the same paths for each listed object."""
    return {
        f"expand[{i}]": value.removeprefix("data.")
        for i, (key, value) in enumerate(query.items())
        if (key == "expand" or key.startswith("expand[")) and value.startswith("data.")
    }


async def load_objects(request: web.Request) -> web.Response:
    if request.content_length is None or request.content_length > MAX_LOAD_BYTES:
        return _bad_request("a JSON body of at most 64 MB, with its length")
    try:
        objects = json.loads(await request.read())
        if not isinstance(objects, dict):
            raise ValueError("a JSON object of collections")
        counts = load(objects)
    except (ValueError, KeyError, TypeError) as error:
        return _bad_request(f"cannot load: {error}")
    return web.json_response(counts)


@web.middleware
async def load_size_middleware(request: web.Request, handler):
    """Let the load route read up to MAX_LOAD_BYTES.

    aiohttp refuses any body over its 1 MB default (`client_max_size`, fixed when
    localstripe made its application), and the event log reads every body before the
    route does, so the limit is lifted on the request itself, outermost, for this path only.
    """
    if request.method == "POST" and request.path == LOAD_PATH:
        request = request.clone(client_max_size=MAX_LOAD_BYTES)
    return await handler(request)


@web.middleware
async def billing_middleware(request: web.Request, handler):
    if request.method == "DELETE" and request.path == "/_config/data":
        clear()
        return await handler(request)
    if request.method != "GET" or not request.path.startswith("/v1/"):
        return await handler(request)
    parts = request.path[len("/v1/") :].split("/")
    collection = parts[0]
    query = request.query
    if collection in LISTED and len(parts) == 1:
        return _list(request.path, collection, list(collections[collection].values()), query)
    if (
        collection == "refunds"
        and len(parts) == 1
        and query.get("charge") in collections["charges"]
    ):
        return _list(request.path, collection, list(collections[collection].values()), query)
    if collection in LISTED | RETRIEVED_ONLY and len(parts) == 2:
        obj = collections[collection].get(parts[1])
        if obj is not None:
            return web.json_response(_render(obj, query))
        if collection in LISTED:
            return _missing(collection, parts[1])
    if collection == "invoices" and len(parts) == 3 and parts[2] == "lines":
        invoice = collections["invoices"].get(parts[1])
        if invoice is None:
            return _missing(collection, parts[1])
        return _lines(request.path, invoice["lines"]["data"], query)
    if collection == "products" and len(parts) == 3 and parts[2] == "features":
        return web.json_response(
            {"object": "list", "data": [], "has_more": False, "url": request.path}
        )
    return await handler(request)


def _lines(url: str, lines: list[dict], query) -> web.Response:
    """An invoice's lines in their own order (not newest first), paged like a list."""
    try:
        limit = int(query.get("limit", 10))
    except ValueError:
        return _bad_request("Invalid integer: limit", "limit")
    ids = [line["id"] for line in lines]
    start = 0
    if "starting_after" in query:
        if query["starting_after"] not in ids:
            return _missing("line_items", query["starting_after"])
        start = ids.index(query["starting_after"]) + 1
    page = lines[start : start + limit]
    expand = _data_query(query)
    return web.json_response(
        {
            "object": "list",
            "data": [_render(line, expand) for line in page],
            "has_more": start + limit < len(lines),
            "url": url,
        }
    )


def install(app: web.Application) -> None:
    """Add the Billing routes and middleware to the double's aiohttp application.

    The middleware goes innermost: localstripe's authentication (a secret key, as Stripe
    asks) and the double's Stripe-shaped errors wrap it.
    """
    app.middlewares.append(billing_middleware)
    app.router.add_post(LOAD_PATH, load_objects)


def lift_load_size_limit(app: web.Application) -> None:
    """Put `load_size_middleware` outermost; call after every other middleware is in."""
    app.middlewares.insert(0, load_size_middleware)
