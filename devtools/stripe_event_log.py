"""The Stripe double's event log: an event for every object change, served as `/v1/events`.

Stripe records an Event for each change to an object and keeps the log 30 days; the
warehouse's catch-up (`manage.py sync_stripe_events`) pages through it. localstripe emits
only a few event types and lists them oldest first without `ending_before` or `types`, so
this module keeps its own log:

- Every write request to `/v1/...` that succeeds records events shaped like Stripe's: the
  objects it created (`customer.created`, `charge.succeeded`, `refund.created` with
  `charge.refunded`, `customer.subscription.created`, ...), the object it updated
  (`*.updated`, or the action's event: `payment_method.attached`, `payment_intent.succeeded`,
  ...) and the object it deleted (`*.deleted`). The disputes of the double record
  `charge.dispute.*` through `record()`.
- `GET /v1/events` lists newest first with Stripe's paging parameters: `limit` (1-100),
  `starting_after`, `ending_before`, `created` (exact or `[gt|gte|lt|lte]`), `type` (a `*`
  wildcard allowed) and `types[]`; events older than 30 days are no longer listed.
  `GET /v1/events/{id}` retrieves one.
- Test-only: `POST /_test/events` (JSON `{"events": [...]}`) adds events as given, e.g. a
  month of backdated events for the catch-up benchmark; `DELETE /_test/events` empties the
  log only; `POST /_config/latency` (JSON `{"ms":
  N}`) makes every `/v1/` answer wait N ms, as Stripe's API does at a distance.
- `DELETE /_config/data` empties the log with the rest of the double.
"""

import asyncio
import bisect
import contextvars
import copy
import itertools
import json
import secrets
import time

from aiohttp import web
from localstripe.resources import List, StripeObject

RETENTION_SECONDS = 30 * 86400
MAX_LIMIT = 100
API_VERSION = "2025-03-31.basil"

# Sorted by (created, sequence): the order Stripe lists in, reversed.
_events: list[dict] = []
_sort_keys: list[tuple[int, int]] = []
_events_by_id: dict[str, dict] = {}
_sequence = itertools.count()
latency = {"seconds": 0.0}

# Objects the current request created (localstripe objects, exported once the request is
# done, so the event shows the state the request left them in).
_created_in_request: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "created_in_request", default=None
)

# Objects Stripe sends no events of their own for (or that only exist inside another).
_SILENT_OBJECTS = frozenset(
    {"balance_transaction", "token", "card", "source", "subscription_item", "line_item"}
)
# Event type prefixes that differ from the object name.
_PREFIX = {"subscription": "customer.subscription", "tax_id": "customer.tax_id"}
# Actions (`POST /v1/<collection>/<id>/<action>`) and the event they record.
_ACTION_EVENT = {
    ("payment_method", "attach"): "payment_method.attached",
    ("payment_method", "detach"): "payment_method.detached",
    ("invoice", "pay"): "invoice.paid",
    ("invoice", "finalize"): "invoice.finalized",
    ("invoice", "void"): "invoice.voided",
    ("payment_intent", "cancel"): "payment_intent.canceled",
    ("setup_intent", "confirm"): "setup_intent.succeeded",
    ("setup_intent", "cancel"): "setup_intent.canceled",
    ("subscription", "cancel"): "customer.subscription.deleted",
}


def _watch_object_creation() -> None:
    original_init = StripeObject.__init__
    if getattr(original_init, "_records_creation", False):
        return

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created = _created_in_request.get()
        if created is not None and not isinstance(self, List):
            created.append(self)

    init._records_creation = True
    StripeObject.__init__ = init


def record(
    event_type: str,
    data_object: dict,
    *,
    previous_attributes: dict | None = None,
    created: int | None = None,
    event_id: str | None = None,
    livemode: bool = False,
) -> dict:
    """Add one event to the log and return it (a copy of `data_object`, as at this moment)."""
    data = {"object": copy.deepcopy(data_object)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    event = {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "account": None,
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else int(created),
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 0,
        "request": {"id": "req_" + secrets.token_hex(7), "idempotency_key": None},
        "type": event_type,
    }
    if event["account"] is None:
        del event["account"]
    _add(event)
    return event


def _add(event: dict) -> None:
    key = (event["created"], next(_sequence))
    position = bisect.bisect(_sort_keys, key)
    _sort_keys.insert(position, key)
    _events.insert(position, event)
    _events_by_id[event["id"]] = event


def add_once(events: list[dict]) -> int:
    """Add complete events (a simulator's) to the log, skipping ids it already holds;
    returns how many were added."""
    added = 0
    for event in events:
        if event["id"] not in _events_by_id:
            _add(event)
            added += 1
    return added


def clear() -> None:
    _events.clear()
    _sort_keys.clear()
    _events_by_id.clear()


def _prefix(object_name: str) -> str:
    return _PREFIX.get(object_name, object_name)


def _export(obj) -> dict | None:
    try:
        return obj._export()
    except Exception:  # an object the request left half-built (its request failed)
        return None


def _created_events(obj: dict) -> list[tuple[str, dict]]:
    name, status = obj.get("object"), obj.get("status")
    if name in _SILENT_OBJECTS or name in {"event", "list", None}:
        return []
    if name == "charge":
        kind = {"succeeded": "succeeded", "failed": "failed"}.get(status, "pending")
        return [(f"charge.{kind}", obj)]
    if name == "payment_method":
        return []  # Stripe has no payment_method.created; attaching records the event
    events = [(f"{_prefix(name)}.created", obj)]
    if name == "payment_intent":
        events += _payment_intent_outcome(obj)
    return events


def _payment_intent_outcome(intent: dict) -> list[tuple[str, dict]]:
    if intent.get("status") == "succeeded":
        return [("payment_intent.succeeded", intent)]
    if intent.get("last_payment_error"):
        return [("payment_intent.payment_failed", intent)]
    return []


def _events_of_write(request: web.Request, answer: dict, created: list) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    created_ids = set()
    for obj in created:
        exported = _export(obj)
        if not exported or not exported.get("id"):
            continue
        created_ids.add(exported["id"])
        events += _created_events(exported)
        if exported.get("object") == "refund" and exported.get("charge"):
            from localstripe.resources import Charge

            charge = _export(Charge._api_retrieve(exported["charge"]))
            if charge:
                events.append(("charge.refunded", charge))
    parts = request.path.strip("/").split("/")[1:]  # after "v1"
    name, object_id = answer.get("object"), answer.get("id")
    if not name or not object_id or name in _SILENT_OBJECTS:
        return events
    if request.method == "DELETE" and answer.get("deleted"):
        events.append((f"{_prefix(name)}.deleted", answer))
    elif len(parts) == 2 and object_id not in created_ids:
        events.append((f"{_prefix(name)}.updated", answer))
    elif len(parts) == 3:
        action_event = _ACTION_EVENT.get((name, parts[2]))
        if name == "payment_intent" and parts[2] == "confirm":
            events += _payment_intent_outcome(answer)
        elif action_event:
            events.append((action_event, answer))
        elif object_id not in created_ids:
            events.append((f"{_prefix(name)}.updated", answer))
    return events


def _limit(query) -> int:
    try:
        limit = int(query.get("limit", 10))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError("limit must be an integer from 1 to 100")
    return limit


def created_filters(query) -> list:
    """Stripe's `created` filter (exact, or `created[gt|gte|lt|lte]`) as predicates."""
    filters = []
    if "created" in query:
        exact = int(query["created"])
        filters.append(lambda item: item["created"] == exact)
    for operator, test in (
        ("gt", lambda a, b: a > b),
        ("gte", lambda a, b: a >= b),
        ("lt", lambda a, b: a < b),
        ("lte", lambda a, b: a <= b),
    ):
        if f"created[{operator}]" in query:
            bound = int(query[f"created[{operator}]"])
            filters.append(lambda item, bound=bound, test=test: test(item["created"], bound))
    return filters


def page_newest_first(newest_first: list[dict], query, url: str) -> dict:
    """One page of a Stripe list: `limit`, `starting_after`, `ending_before`, `has_more`."""
    limit = _limit(query)
    starting_after, ending_before = query.get("starting_after"), query.get("ending_before")
    if starting_after or ending_before:
        cursor = starting_after or ending_before
        positions = [i for i, item in enumerate(newest_first) if item["id"] == cursor]
        if not positions:
            raise LookupError(cursor)
        position = positions[0]
        if starting_after:
            data = newest_first[position + 1 : position + 1 + limit]
            has_more = len(newest_first) > position + 1 + limit
        else:
            start = max(0, position - limit)
            data = newest_first[start:position]
            has_more = start > 0
    else:
        data, has_more = newest_first[:limit], len(newest_first) > limit
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _page(query) -> dict:
    oldest = int(time.time()) - RETENTION_SECONDS
    filters = [lambda event: event["created"] >= oldest, *created_filters(query)]
    types = [value for key, value in query.items() if key.startswith("types[")]
    if "type" in query:
        types.append(query["type"])
    if types:
        exact = {t for t in types if not t.endswith("*")}
        prefixes = tuple(t[:-1] for t in types if t.endswith("*"))
        filters.append(
            lambda event: (
                event["type"] in exact or (prefixes and event["type"].startswith(prefixes))
            )
        )
    newest_first = [event for event in reversed(_events) if all(f(event) for f in filters)]
    return page_newest_first(newest_first, query, "/v1/events")


def _error(status: int, message: str, code: str = "", param: str = "") -> web.Response:
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return web.json_response({"error": error}, status=status)


async def _serve_events(request: web.Request) -> web.Response:
    parts = request.path.strip("/").split("/")
    if len(parts) == 3:
        event = _events_by_id.get(parts[2])
        if event is None:
            return _error(404, f"No such event: '{parts[2]}'", "resource_missing", "id")
        return web.json_response(event)
    try:
        return web.json_response(_page(request.query))
    except ValueError as exc:
        return _error(400, str(exc))
    except LookupError as exc:
        return _error(400, f"No such event: '{exc.args[0]}'", "resource_missing", "starting_after")


async def _inject_events(request: web.Request) -> web.Response:
    body = await request.json()
    added = []
    for event in body.get("events", []):
        event = dict(event)
        event.setdefault("id", "evt_" + secrets.token_hex(12))
        event.setdefault("object", "event")
        event.setdefault("api_version", API_VERSION)
        event.setdefault("created", int(time.time()))
        event.setdefault("livemode", False)
        event.setdefault("pending_webhooks", 0)
        event.setdefault("request", {"id": None, "idempotency_key": None})
        _add(event)
        added.append(event["id"])
    return web.json_response({"added": len(added), "ids": added})


async def _set_latency(request: web.Request) -> web.Response:
    latency["seconds"] = max(0.0, float((await request.json()).get("ms", 0)) / 1000)
    return web.json_response({"ms": latency["seconds"] * 1000})


@web.middleware
async def event_log_middleware(request: web.Request, handler):
    path, method = request.path, request.method
    if path.startswith("/v1/") and latency["seconds"]:
        await asyncio.sleep(latency["seconds"])
    if method == "GET" and (path == "/v1/events" or path.startswith("/v1/events/")):
        return await _serve_events(request)
    if method == "POST" and path == "/_test/events":
        return await _inject_events(request)
    if method == "DELETE" and path == "/_test/events":
        clear()
        return web.json_response({"deleted": True})
    if method == "POST" and path == "/_config/latency":
        return await _set_latency(request)
    if method == "DELETE" and path == "/_config/data":
        clear()
    if method not in ("POST", "DELETE") or not path.startswith("/v1/"):
        return await handler(request)
    created: list = []
    token = _created_in_request.set(created)
    try:
        response = await handler(request)
    finally:
        _created_in_request.reset(token)
    if 200 <= response.status < 300 and getattr(response, "text", None):
        try:
            answer = json.loads(response.text)
        except ValueError:
            answer = {}
        for event_type, data_object in _events_of_write(request, answer, created):
            record(event_type, data_object)
    return response


def install(app: web.Application) -> None:
    """Put the event log in front of the double's other middlewares."""
    _watch_object_creation()
    app.middlewares.insert(0, event_log_middleware)
