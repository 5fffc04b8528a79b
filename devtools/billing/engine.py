"""A small deterministic simulator of Stripe Billing (see the package docstring).

Everything is plain Python and integer minor units; times are Unix seconds (UTC). The
simulator keeps one clock per customer: actions on a customer must come in time order,
and each action first runs that customer's subscriptions up to its time (renewals, trial
ends, discount ends, payment retries, cancellations at period end).
"""

import copy
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from fractions import Fraction

from devtools.business.stripe_objects import customer_shape, no_refunds, refund_shape
from warehouse.money import currency_exponent

API_VERSION = "2026-05-27.dahlia"
SETTLEMENT_CURRENCY = "usd"
# Major units of USD per major unit of each currency (Stripe's `exchange_rate`).
DEFAULT_USD_RATES = {"usd": "1", "eur": "1.08", "gbp": "1.27", "jpy": "0.0067"}
# Stripe finalises a subscription invoice about an hour after creating it, then charges.
FINALIZE_DELAY = 3600
TRIAL_WILL_END_NOTICE = 3 * 86400
DAY = 86400


def timestamp(moment) -> int:
    """Unix seconds for an aware datetime (or an int, returned as is)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: give an aware (UTC) datetime")
        return int(moment.timestamp())
    return int(moment)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (exact: no floats)."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    return sign * int((magnitude * 2 + 1) // 2)


def add_months(moment: dt.datetime, months: int, day: int) -> dt.datetime:
    """`months` later on `day`, clamped to the month's last day (Jan 31 → Feb 28 → Mar 31)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(day, last))


def period_boundary(anchor: int, interval: str, interval_count: int, k: int) -> int:
    """The k-th period boundary after the billing cycle anchor, as Stripe counts them."""
    if interval == "day":
        return anchor + k * interval_count * DAY
    if interval == "week":
        return anchor + k * interval_count * 7 * DAY
    months = k * interval_count * (12 if interval == "year" else 1)
    start = dt.datetime.fromtimestamp(anchor, dt.UTC)
    return timestamp(add_months(start, months, start.day))


def prorated(amount: int, remaining: int, length: int) -> int:
    """`amount` × remaining / length seconds, rounded half up: Stripe prorates by the second."""
    return round_half_up(Fraction(amount * remaining, length))


@dataclass
class _Subscription:
    id: str
    customer: str
    currency: str
    created: int
    items: list  # subscription item dicts (price expanded)
    status: str
    billing_cycle_anchor: int
    period_start: int
    period_end: int
    period_index: int = 0
    trial_start: int | None = None
    trial_end: int | None = None
    trial_will_end_sent: bool = False
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    cancellation_reason: str | None = None
    discount_ids: list = field(default_factory=list)
    # billing_mode.flexible.proration_discounts: "included" (Stripe's default, and the
    # classic billing mode's behaviour) or "itemized"
    proration_discounts: str = "included"
    pending_invoiceitems: list = field(default_factory=list)
    latest_invoice: str | None = None
    default_payment_method: str | None = None
    metadata: dict = field(default_factory=dict)
    planned_failures: list = field(default_factory=list)  # (from ts, outcome, retry days)
    dunning: dict | None = None  # invoice id, outcome, retry times left
    paused_at: int | None = None
    last_lines: dict = field(default_factory=dict)  # si id -> (invoice id, line id)


class BillingSimulator:
    """Stripe Billing in miniature: see the package docstring for the actions and shapes."""

    def __init__(
        self,
        *,
        seed: int = 0,
        settlement_currency: str = SETTLEMENT_CURRENCY,
        usd_rate=None,
        record_events: bool = True,
        charge_description: str = "Subscription update",
    ):
        self._rng = random.Random(f"billing-{seed}")
        self.settlement_currency = settlement_currency
        self._usd_rate = usd_rate or (lambda currency, at: DEFAULT_USD_RATES[currency])
        self.record_events = record_events
        self.charge_description = charge_description
        self.products: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.coupons: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.subscriptions: dict[str, _Subscription] = {}
        self.discounts: dict[str, dict] = {}
        self.invoiceitems: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.invoice_payments: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.events: list[dict] = []
        self._clocks: dict[str, int] = {}
        self._balances: dict[str, int] = {}
        self._invoice_counts: dict[str, int] = {}
        self._usage: dict[str, int] = {}  # metered subscription item -> usage per period
        self._deleted_coupons: dict[str, dict] = {}  # still behind running discounts
        # Indexes, so that time and memory stay linear in the size of the business.
        self._customer_subscriptions: dict[str, list] = {}
        self._subscription_invoices: dict[str, list] = {}
        self._invoice_payment_ids: dict[str, list] = {}

    # --- ids and events -------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{self._rng.getrandbits(96):024x}"  # 24 characters, as Stripe's

    def _emit(self, event_type: str, data_object, created: int, previous=None) -> None:
        """Record an event (a subscription is rendered, any object copied, only if recording)."""
        if not self.record_events:
            return
        if isinstance(data_object, _Subscription):
            data_object = self.render_subscription(data_object)
        elif data_object.get("object") == "invoice":
            # `payments` is includable: events carry the invoice without it.
            data_object = {k: v for k, v in data_object.items() if k != "payments"}
        data = {"object": json.loads(json.dumps(data_object))}
        if previous is not None:
            data["previous_attributes"] = previous
        self.events.append(
            {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": API_VERSION,
                "created": created,
                "data": data,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )

    # --- catalog --------------------------------------------------------------------
    def product(self, name: str, *, at=0, id: str | None = None, metadata=None) -> dict:
        created = timestamp(at)
        product = {
            "id": id or self.new_id("prod"),
            "object": "product",
            "active": True,
            "created": created,
            "default_price": None,
            "description": None,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": dict(metadata or {}),
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "unit_label": None,
            "updated": created,
            "url": None,
        }
        self.products[product["id"]] = product
        self._emit("product.created", product, created)
        return product

    def price(
        self,
        product: dict,
        unit_amount: int,
        currency: str,
        *,
        interval: str | None = "month",
        interval_count: int = 1,
        usage_type: str = "licensed",
        nickname: str | None = None,
        lookup_key: str | None = None,
        at=0,
        id: str | None = None,
    ) -> dict:
        """A price; `interval=None` makes a one-off price, `usage_type="metered"` a metered one."""
        if interval not in (None, "day", "week", "month", "year"):
            raise ValueError(f"unknown interval {interval!r}")
        created = timestamp(at)
        recurring = None
        if interval is not None:
            recurring = {
                "interval": interval,
                "interval_count": interval_count,
                "meter": self.new_id("mtr") if usage_type == "metered" else None,
                "trial_period_days": None,
                "usage_type": usage_type,
            }
        price = {
            "id": id or self.new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": {},
            "nickname": nickname,
            "product": product["id"],
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
        self.prices[price["id"]] = price
        if product["default_price"] is None and recurring and usage_type == "licensed":
            product["default_price"] = price["id"]
        self._emit("price.created", price, created)
        return price

    def coupon(
        self,
        *,
        percent_off=None,
        amount_off: int | None = None,
        currency: str | None = None,
        duration: str = "once",
        duration_in_months: int | None = None,
        name: str | None = None,
        at=0,
        id: str | None = None,
    ) -> dict:
        if (percent_off is None) == (amount_off is None):
            raise ValueError("a coupon has either percent_off or amount_off")
        if amount_off is not None and not currency:
            raise ValueError("an amount_off coupon needs its currency")
        if duration not in ("once", "repeating", "forever"):
            raise ValueError(f"unknown duration {duration!r}")
        if (duration == "repeating") != (duration_in_months is not None):
            raise ValueError("duration_in_months goes with duration='repeating' only")
        created = timestamp(at)
        coupon = {
            "id": id or self.new_id("co"),
            "object": "coupon",
            "amount_off": amount_off,
            "created": created,
            "currency": currency,
            "duration": duration,
            "duration_in_months": duration_in_months,
            "livemode": False,
            "max_redemptions": None,
            "metadata": {},
            "name": name,
            "percent_off": percent_off,
            "redeem_by": None,
            "times_redeemed": 0,
            "valid": True,
        }
        self.coupons[coupon["id"]] = coupon
        self._emit("coupon.created", coupon, created)
        return coupon

    def update_product(self, product: dict, *, at, **fields) -> dict:
        """Change a product (name, active, metadata…): `product.updated`."""
        return self._update("product", product, at, fields)

    def update_price(self, price: dict, *, at, **fields) -> dict:
        """Change a price (active, nickname, lookup_key, metadata; amounts are immutable in
        Stripe): `price.updated`."""
        if fields.keys() & {"unit_amount", "currency", "recurring", "product", "type"}:
            raise ValueError("a price's amount, currency and interval cannot change")
        return self._update("price", price, at, fields)

    def update_coupon(self, coupon: dict, *, at, **fields) -> dict:
        """Change a coupon (name, metadata): `coupon.updated`."""
        if fields.keys() - {"name", "metadata"}:
            raise ValueError("only a coupon's name and metadata can change")
        return self._update("coupon", coupon, at, fields)

    def delete_coupon(self, coupon: dict, *, at) -> None:
        """Delete a coupon (discounts already applied keep running): `coupon.deleted`."""
        coupon["valid"] = False
        self._emit("coupon.deleted", coupon, timestamp(at))
        del self.coupons[coupon["id"]]
        self._deleted_coupons[coupon["id"]] = coupon

    def _update(self, kind: str, obj: dict, at, fields: dict) -> dict:
        now = timestamp(at)
        previous = {key: obj.get(key) for key in fields}
        obj.update(fields)
        if "updated" in obj:
            obj["updated"] = now
        self._emit(f"{kind}.updated", obj, now, previous)
        return obj

    def customer(self, *, at=0, email: str | None = None, name: str | None = None, id=None) -> dict:
        """A minimal customer, for scenarios that do not bring their own customers."""
        created = timestamp(at)
        customer = customer_shape(
            id or self.new_id("cus"),
            created,
            address=None,
            currency=None,
            email=email,
            invoice_prefix=None,
            metadata={},
            name=name,
        )
        self.customers[customer["id"]] = customer
        self._emit("customer.created", customer, created)
        return customer

    # --- actions ----------------------------------------------------------------------
    def subscribe(
        self,
        customer_id: str,
        items,
        *,
        at,
        trial_days: int = 0,
        coupon: dict | None = None,
        payment_method: str | None = None,
        metadata=None,
        proration_discounts: str = "included",
    ) -> str:
        """Start a subscription to `items`, a list of (price, quantity); returns its id.

        A metered price's "quantity" is its usage per period (Stripe keeps no quantity on
        a metered item; its invoice line bills the usage). `proration_discounts`: how its
        percent-off discounts show on prorations, "included" (Stripe's default: folded into
        the amount) or "itemized" (billing mode flexible: in the lines' discount amounts).
        """
        if proration_discounts not in ("included", "itemized"):
            raise ValueError("proration_discounts is 'included' or 'itemized'")
        now = self._tick(customer_id, at)
        items = list(items)
        if not items:
            raise ValueError("a subscription needs at least one item")
        currencies = {price["currency"] for price, _ in items}
        if len(currencies) != 1:
            raise ValueError("all items of a subscription share one currency")
        first = items[0][0]
        if not first.get("recurring") or first["recurring"]["usage_type"] != "licensed":
            raise ValueError("the first item of a subscription is a licensed recurring price")
        for price, _ in items:
            if not price.get("recurring"):
                raise ValueError("one-off prices go on add_invoice_item, not on a subscription")
            if (price["recurring"]["interval"], price["recurring"]["interval_count"]) != (
                first["recurring"]["interval"],
                first["recurring"]["interval_count"],
            ):
                raise ValueError("all items of a subscription share one billing interval")
        sub_id = self.new_id("sub")
        trial_end = now + trial_days * DAY if trial_days else None
        period_end = trial_end or self._boundary(first, now, 1)
        sub = _Subscription(
            id=sub_id,
            customer=customer_id,
            currency=currencies.pop(),
            created=now,
            items=[self._item(sub_id, price, quantity, now) for price, quantity in items],
            status="trialing" if trial_end else "incomplete",
            billing_cycle_anchor=trial_end or now,
            period_start=now,
            period_end=period_end,
            trial_start=now if trial_end else None,
            trial_end=trial_end,
            default_payment_method=payment_method,
            metadata=dict(metadata or {}),
            proration_discounts=proration_discounts,
        )
        self.subscriptions[sub_id] = sub
        self._customer_subscriptions.setdefault(customer_id, []).append(sub)
        if coupon is not None:
            self._add_discount(sub, coupon, now)
        self._emit("customer.subscription.created", sub, now)
        if trial_end:
            lines = [
                self._line(sub, item, now, trial_end, amount=0, description=self._trial_text(item))
                for item in sub.items
                if item["quantity"] is not None
            ]
        else:
            lines = self._period_lines(sub, now, period_end, None)
        invoice = self._invoice(sub, now, "subscription_create", lines)
        self._collect(sub, invoice, now, first_invoice=True)
        return sub_id

    def change_price(self, sub_id: str, *, at, price: dict, item: int = 0) -> None:
        """Swap an item's price (upgrade or downgrade) with `create_prorations`.

        Same interval: two proration invoice items (credit for the unused time on the old
        price, debit for the remaining time on the new one) wait for the next invoice.
        Another interval: Stripe resets the billing cycle to now and invoices at once: the
        credit for the unused time plus the full new period.
        """
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        target = sub.items[item]
        old_price = target["price"]
        if price["currency"] != sub.currency:
            raise ValueError("a subscription keeps its currency")
        same_interval = (
            price["recurring"]["interval"],
            price["recurring"]["interval_count"],
        ) == (old_price["recurring"]["interval"], old_price["recurring"]["interval_count"])
        if sub.status == "trialing" or same_interval:
            if sub.status != "trialing":
                self._prorate(sub, target, now, new_price=price, new_quantity=None)
            self._set_item_price(target, price)
            self._emit("customer.subscription.updated", sub, now)
            return
        if len(sub.items) != 1:
            raise ValueError("an interval change is simulated on one-item subscriptions only")
        self._prorate(sub, target, now, new_price=None, new_quantity=None)
        self._set_item_price(target, price)
        sub.billing_cycle_anchor = sub.period_start = now
        sub.period_index = 0
        sub.period_end = self._boundary(price, now, 1)
        self._emit("customer.subscription.updated", sub, now)
        lines = self._take_pending_lines(sub)
        lines += self._period_lines(sub, now, sub.period_end, None)
        invoice = self._invoice(sub, now, "subscription_update", lines)
        self._collect(sub, invoice, now)

    def change_quantity(self, sub_id: str, *, at, quantity: int, item: int = 0) -> None:
        """Change an item's quantity with `create_prorations` (pending until next invoice)."""
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        target = sub.items[item]
        if quantity == target["quantity"]:
            return
        if sub.status != "trialing":
            self._prorate(sub, target, now, new_price=None, new_quantity=quantity)
        target["quantity"] = quantity
        self._emit("customer.subscription.updated", sub, now)

    def apply_coupon(self, sub_id: str, *, at, coupon: dict) -> None:
        """Apply a coupon to the subscription (replacing any discount it has)."""
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        sub.discount_ids = []
        self._add_discount(sub, coupon, now)
        self._emit("customer.subscription.updated", sub, now)

    def remove_coupon(self, sub_id: str, *, at) -> None:
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        self._end_discounts(sub, now)

    def add_invoice_item(self, sub_id: str, *, at, price: dict, quantity: int = 1) -> dict:
        """A one-off price billed on the subscription's next invoice (not MRR)."""
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        if price.get("recurring"):
            raise ValueError("add_invoice_item takes a one-off price")
        item = self._invoiceitem(
            sub,
            None,
            price,
            quantity,
            price["unit_amount"] * quantity,
            now,
            now,
            proration=False,
            description=f"{self.products[price['product']]['name']}",
        )
        return item

    def update_payment_method(self, sub_id: str, *, at, payment_method: str) -> None:
        """The card later invoices are charged to."""
        sub = self._live(sub_id, at)
        sub.default_payment_method = payment_method
        self._emit(
            "customer.subscription.updated",
            sub,
            self._clocks[sub.customer],
        )

    def cancel(self, sub_id: str, *, at, at_period_end: bool = False) -> None:
        """Cancel now (no proration credit, open invoices voided) or at the period's end."""
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        sub.canceled_at = now
        sub.cancellation_reason = "cancellation_requested"
        if at_period_end:  # during a trial: ends at the trial's end, never charged
            sub.cancel_at_period_end = True
            sub.cancel_at = sub.period_end
            self._emit("customer.subscription.updated", sub, now)
            return
        self._end(sub, now)

    def fail_payment(self, sub_id: str, *, at, outcome: str = "recover", retry_days=None):
        """The first payment attempt for this subscription at or after `at` fails.

        outcome "recover": the last retry succeeds (default one retry after 3 days);
        "canceled" or "unpaid": every retry fails (default after 3, 5 and 7 days) and the
        subscription then becomes canceled or unpaid. Retry days count from the failure.
        """
        if outcome not in ("recover", "canceled", "unpaid"):
            raise ValueError(f"unknown outcome {outcome!r}")
        if retry_days is None:
            retry_days = (3,) if outcome == "recover" else (3, 5, 7)
        if outcome == "recover" and not retry_days:
            raise ValueError("a recovery needs at least one retry")
        sub = self.subscriptions[sub_id]
        sub.planned_failures.append((timestamp(at), outcome, tuple(retry_days)))
        sub.planned_failures.sort()

    def pause(self, sub_id: str, *, at) -> None:
        """Status `paused`: no invoices until resumed."""
        sub = self._live(sub_id, at)
        now = self._clocks[sub.customer]
        sub.status = "paused"
        sub.paused_at = now
        self._emit("customer.subscription.paused", sub, now)

    def resume(self, sub_id: str, *, at) -> None:
        """Back to active with a new billing cycle from now, invoiced at once."""
        sub = self.subscriptions[sub_id]
        now = self._tick(sub.customer, at)
        if sub.status != "paused":
            raise ValueError(f"{sub_id} is not paused")
        sub.status = "active"
        sub.paused_at = None
        sub.billing_cycle_anchor = sub.period_start = now
        sub.period_index = 0
        sub.period_end = self._boundary(sub.items[0]["price"], now, 1)
        self._emit("customer.subscription.resumed", sub, now)
        lines = self._take_pending_lines(sub)
        lines += self._period_lines(sub, now, sub.period_end, None)
        invoice = self._invoice(sub, now, "subscription_cycle", lines)
        self._collect(sub, invoice, now)

    def refund(self, invoice_id: str, *, at, amount: int | None = None) -> dict:
        """Refund (part of) a paid invoice's charge; MRR is not affected."""
        invoice = self.invoices[invoice_id]
        if invoice["status"] != "paid" or not invoice["payments"]["data"]:
            raise ValueError(f"{invoice_id} has no paid charge to refund")
        now = self._tick(invoice["customer"], at)
        charge = self.charges[self._paid_charge_id(invoice)]
        amount = charge["amount"] - charge["amount_refunded"] if amount is None else amount
        refund_id = self.new_id("re")
        movement = self._balance_transaction(
            -amount, charge["currency"], now, refund_id, "refund", 0, "REFUND FOR CHARGE"
        )
        refund = refund_shape(refund_id, amount, movement, charge, now, "requested_by_customer")
        charge["refunds"]["data"].append(refund)
        charge["refunds"]["total_count"] += 1
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._emit("charge.refunded", charge, now)
        return refund

    def advance(self, until, customer_id: str | None = None) -> None:
        """Run renewals, retries, trial and discount ends up to `until` (all customers
        unless one is given)."""
        customers = (
            [customer_id]
            if customer_id
            else sorted({s.customer for s in self.subscriptions.values()})
        )
        for customer in customers:
            self._tick(customer, until)

    def clock(self, customer_id: str) -> int | None:
        """The customer's time: its next action may not be earlier."""
        return self._clocks.get(customer_id)

    # --- outputs ----------------------------------------------------------------------
    def objects(self) -> dict[str, list[dict]]:
        """Every object in its current state, as the API returns it (ids, not expanded,
        except charges' balance transactions and refunds), invoices with their includable
        `payments` (the Stripe double leaves it out unless `expand[]=payments`)."""
        return {
            "products": list(self.products.values()),
            "prices": list(self.prices.values()),
            "coupons": list(self.coupons.values()),
            "customers": list(self.customers.values()),
            "subscriptions": [self.render_subscription(s) for s in self.subscriptions.values()],
            "discounts": list(self.discounts.values()),
            "invoiceitems": list(self.invoiceitems.values()),
            "invoices": list(self.invoices.values()),
            "invoice_payments": list(self.invoice_payments.values()),
            "payment_intents": list(self.payment_intents.values()),
            "charges": list(self.charges.values()),
        }

    def expanded_invoice(self, invoice: dict) -> dict:
        """The invoice as retrieved with expand=[discounts, lines.data.discounts] (dj-stripe's
        `Invoice.expand_fields`) and payments (includable: Stripe leaves it out unless asked,
        so dj-stripe's own retrievals and the events do not carry it)."""
        # Shallow copies down to what changes: callers must not mutate the result.
        lines = [
            {**line, "discounts": [self.discounts[d] for d in line["discounts"]]}
            for line in invoice["lines"]["data"]
        ]
        return {
            **invoice,
            "discounts": [self.discounts[d] for d in invoice["discounts"]],
            "lines": {**invoice["lines"], "data": lines},
        }

    def expanded_invoiceitem(self, invoiceitem: dict) -> dict:
        """The invoice item as retrieved with expand=[discounts] (dj-stripe's
        `InvoiceItem.expand_fields`); callers must not mutate the result."""
        return {
            **invoiceitem,
            "discounts": [self.discounts[d] for d in invoiceitem["discounts"]],
        }

    def sorted_events(self) -> list[dict]:
        return sorted(self.events, key=lambda event: event["created"])

    def render_subscription(self, sub: _Subscription) -> dict:
        items = []
        for item in sub.items:
            # Shallow: an item's price and plan dicts are replaced, never changed in place.
            rendered = dict(item)
            rendered["current_period_start"] = sub.period_start
            rendered["current_period_end"] = sub.period_end
            items.append(rendered)
        return {
            "id": sub.id,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": sub.billing_cycle_anchor,
            "billing_cycle_anchor_config": None,
            "billing_mode": (
                {
                    "flexible": {"proration_discounts": "itemized"},
                    "type": "flexible",
                    "updated_at": sub.created,
                }
                if sub.proration_discounts == "itemized"
                else {"flexible": None, "type": "classic", "updated_at": sub.created}
            ),
            "billing_thresholds": None,
            "cancel_at": sub.cancel_at,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "canceled_at": sub.canceled_at,
            "cancellation_details": {
                "comment": None,
                "feedback": None,
                "reason": sub.cancellation_reason,
            },
            "collection_method": "charge_automatically",
            "created": sub.created,
            "currency": sub.currency,
            "customer": sub.customer,
            "days_until_due": None,
            "default_payment_method": sub.default_payment_method,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": list(sub.discount_ids),
            "ended_at": sub.ended_at,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {
                "object": "list",
                "data": items,
                "has_more": False,
                "total_count": len(items),
                "url": f"/v1/subscription_items?subscription={sub.id}",
            },
            "latest_invoice": sub.latest_invoice,
            "livemode": False,
            "metadata": dict(sub.metadata),
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": sub.created,
            "status": sub.status,
            "test_clock": None,
            "transfer_data": None,
            "trial_end": sub.trial_end,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": sub.trial_start,
        }

    # --- the clock --------------------------------------------------------------------
    def _tick(self, customer_id: str, at) -> int:
        now = timestamp(at)
        clock = self._clocks.get(customer_id)
        if clock is not None and now < clock:
            raise ValueError(f"{customer_id}: actions go in time order ({now} is before {clock})")
        subs = self._customer_subscriptions.get(customer_id, [])
        while True:
            due = [(self._next_due(s), i, s) for i, s in enumerate(subs)]
            due = [entry for entry in due if entry[0] is not None and entry[0] <= now]
            if not due:
                break
            when, _, sub = min(due, key=lambda entry: (entry[0], entry[1]))
            self._clocks[customer_id] = when
            self._run_due(sub, when)
        self._clocks[customer_id] = now
        return now

    def _next_due(self, sub: _Subscription) -> int | None:
        if sub.status in ("canceled", "unpaid", "paused", "incomplete_expired"):
            return None
        candidates = [sub.period_end]
        if sub.dunning:
            candidates.append(sub.dunning["retries"][0])
        if sub.trial_end and not sub.trial_will_end_sent and sub.status == "trialing":
            candidates.append(max(sub.trial_end - TRIAL_WILL_END_NOTICE, sub.created))
        for discount_id in sub.discount_ids:
            end = self.discounts[discount_id]["end"]
            if end is not None:
                candidates.append(end)
        return min(candidates)

    def _run_due(self, sub: _Subscription, when: int) -> None:
        if sub.dunning and sub.dunning["retries"][0] == when:
            self._retry(sub, when)
            return
        if (
            sub.trial_end
            and not sub.trial_will_end_sent
            and sub.status == "trialing"
            and when == max(sub.trial_end - TRIAL_WILL_END_NOTICE, sub.created)
        ):
            sub.trial_will_end_sent = True
            self._emit("customer.subscription.trial_will_end", sub, when)
            return
        for discount_id in sub.discount_ids:
            if self.discounts[discount_id]["end"] == when:
                self._end_discounts(sub, when, only=discount_id)
                return
        if when == sub.period_end:
            self._renew(sub, when)

    def _renew(self, sub: _Subscription, when: int) -> None:
        if sub.cancel_at_period_end:
            self._end(sub, when)
            return
        price = sub.items[0]["price"]
        sub.period_index += 1
        if sub.trial_end and when == sub.trial_end:
            sub.period_index = 0  # the trial end is the billing cycle anchor
        used = (sub.period_start, when)
        sub.period_start = when
        sub.period_end = self._boundary(price, sub.billing_cycle_anchor, sub.period_index + 1)
        previous = {"items": {"data": [{"current_period_end": when}]}}
        if sub.status == "trialing":
            previous["status"] = sub.status
            sub.status = "active"
        self._emit("customer.subscription.updated", sub, when, previous)
        lines = self._take_pending_lines(sub)
        lines += self._period_lines(sub, when, sub.period_end, used)
        invoice = self._invoice(sub, when, "subscription_cycle", lines)
        self._collect(sub, invoice, when)

    def _boundary(self, price: dict, anchor: int, k: int) -> int:
        recurring = price["recurring"]
        return period_boundary(anchor, recurring["interval"], recurring["interval_count"], k)

    def _live(self, sub_id: str, at) -> _Subscription:
        sub = self.subscriptions[sub_id]
        self._tick(sub.customer, at)
        if sub.status in ("canceled", "incomplete_expired"):
            raise ValueError(f"{sub_id} has ended")
        return sub

    def _end(self, sub: _Subscription, when: int) -> None:
        sub.status = "canceled"
        sub.ended_at = when
        sub.dunning = None
        sub.pending_invoiceitems = []
        for invoice_id in self._subscription_invoices.get(sub.id, []):
            if self.invoices[invoice_id]["status"] == "open":
                self._void(self.invoices[invoice_id], when)
        self._emit("customer.subscription.deleted", sub, when)

    # --- items, discounts, prorations ---------------------------------------------------
    def _item(self, sub_id: str, price: dict, quantity: int, now: int) -> dict:
        item = {
            "id": self.new_id("si"),
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": now,
            "discounts": [],
            "metadata": {},
            "subscription": sub_id,
            "tax_rates": [],
        }
        self._set_item_price(item, price)
        metered = price["recurring"]["usage_type"] == "metered"
        item["quantity"] = None if metered else quantity
        if metered:
            self._usage[item["id"]] = quantity
        return item

    def _set_item_price(self, item: dict, price: dict) -> None:
        item["price"] = copy.deepcopy(price)
        recurring = price["recurring"]
        item["plan"] = {
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
            "livemode": False,
            "metadata": {},
            "meter": recurring["meter"],
            "nickname": price["nickname"],
            "product": price["product"],
            "tiers_mode": None,
            "transform_usage": None,
            "trial_period_days": None,
            "usage_type": recurring["usage_type"],
        }

    def _add_discount(self, sub: _Subscription, coupon: dict, now: int) -> None:
        end = None
        if coupon["duration"] == "repeating":
            start = dt.datetime.fromtimestamp(now, dt.UTC)
            end = timestamp(add_months(start, coupon["duration_in_months"], start.day))
        discount = {
            "id": self.new_id("di"),
            "object": "discount",
            "checkout_session": None,
            "customer": sub.customer,
            "customer_account": None,
            "end": end,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": None,
            "source": {"coupon": coupon["id"], "type": "coupon"},
            "start": now,
            "subscription": sub.id,
            "subscription_item": None,
        }
        self.discounts[discount["id"]] = discount
        sub.discount_ids.append(discount["id"])
        coupon["times_redeemed"] += 1

    def _end_discounts(self, sub: _Subscription, when: int, only: str | None = None) -> None:
        ending = [d for d in sub.discount_ids if only is None or d == only]
        if not ending:
            return
        sub.discount_ids = [d for d in sub.discount_ids if d not in ending]
        self._emit("customer.subscription.updated", sub, when)

    def _active_discounts(self, sub: _Subscription, when: int) -> list[dict]:
        active = []
        for discount_id in sub.discount_ids:
            discount = self.discounts[discount_id]
            if discount["start"] <= when and (discount["end"] is None or when < discount["end"]):
                active.append(discount)
        return active

    def _prorate(self, sub, item, now, *, new_price, new_quantity) -> int:
        """Pending proration invoice items for an item change at `now`; returns the credit."""
        if item["quantity"] is None:
            raise ValueError("metered items are not prorated")
        length = sub.period_end - sub.period_start
        remaining = sub.period_end - now
        old_amount = item["price"]["unit_amount"] * item["quantity"]
        credit = prorated(old_amount, remaining, length)
        product = self.products[item["price"]["product"]]["name"]
        discounts = self._proration_discounts(sub, now)
        self._invoiceitem(
            sub,
            item,
            item["price"],
            item["quantity"],
            -credit,
            now,
            sub.period_end,
            proration=True,
            description=f"Unused time on {item['quantity']} × {product} after {_day(now)}",
            credited=sub.last_lines.get(item["id"]),
            discounts=discounts,
        )
        if new_price is not None or new_quantity is not None:
            price = new_price or item["price"]
            quantity = item["quantity"] if new_quantity is None else new_quantity
            debit = prorated(price["unit_amount"] * quantity, remaining, length)
            name = self.products[price["product"]]["name"]
            self._invoiceitem(
                sub,
                item,
                price,
                quantity,
                debit,
                now,
                sub.period_end,
                proration=True,
                description=f"Remaining time on {quantity} × {name} after {_day(now)}",
                discounts=discounts,
            )
        return credit

    def _proration_discounts(self, sub: _Subscription, now: int) -> list[tuple[str, Fraction]]:
        """(discount id, percent) of the subscription's percent-off discounts running at
        `now`, which Stripe applies to prorations. Amount-off coupons are left out: how
        Stripe spreads a fixed amount over prorations is not documented, so the simulator
        leaves prorations undiscounted by them (docs/metrics.md)."""
        running = []
        for discount in self._active_discounts(sub, now):
            coupon = self._coupon(discount["source"]["coupon"])
            if coupon["percent_off"] is not None:
                running.append((discount["id"], Fraction(str(coupon["percent_off"]))))
        return running

    def _invoiceitem(
        self,
        sub,
        item,
        price,
        quantity,
        amount,
        start,
        end,
        *,
        proration,
        description,
        credited=None,
        discounts=(),
    ) -> dict:
        """A pending invoice item of `amount` (gross). With `discounts` ((id, percent) of a
        proration's running percent-off discounts), each takes its percent of the gross
        amount, rounded half up like an invoice line's discount and signed like the amount
        (a credit's discount is negative); in the `included` form the item's amount is net,
        in the `itemized` form gross; `proration_details.discount_amounts` hold them in
        both forms."""
        discount_amounts = [
            {"amount": round_half_up(amount * percent / 100), "discount": discount_id}
            for discount_id, percent in discounts
        ]
        net = amount - sum(d["amount"] for d in discount_amounts)
        invoiceitem = {
            "id": self.new_id("ii"),
            "object": "invoiceitem",
            "amount": amount if sub.proration_discounts == "itemized" else net,
            "currency": sub.currency,
            "customer": sub.customer,
            "date": start,
            "description": description,
            "discountable": not proration,
            "discounts": [d["discount"] for d in discount_amounts],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "net_amount": net,
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": sub.id,
                    "subscription_item": item["id"] if item else None,
                },
            },
            "period": {"start": start, "end": end},
            "pricing": {
                "type": "price_details",
                "price_details": {"price": price["id"], "product": price["product"]},
                "unit_amount_decimal": price["unit_amount_decimal"],
            },
            "proration": proration,
            "proration_details": {
                "credited_items": (
                    {"invoice": credited[0], "invoice_line_items": [credited[1]]}
                    if credited
                    else None
                ),
                "discount_amounts": discount_amounts,
            },
            "quantity": quantity,
            "tax_rates": [],
            "test_clock": None,
        }
        self.invoiceitems[invoiceitem["id"]] = invoiceitem
        sub.pending_invoiceitems.append(invoiceitem["id"])
        self._emit("invoiceitem.created", invoiceitem, start)
        return invoiceitem

    def _take_pending_lines(self, sub: _Subscription) -> list[dict]:
        lines = []
        for invoiceitem_id in sub.pending_invoiceitems:
            ii = self.invoiceitems[invoiceitem_id]
            subscription_item = ii["parent"]["subscription_details"]["subscription_item"]
            details = {
                "invoice_item": ii["id"],
                "proration": ii["proration"],
                "proration_details": ii["proration_details"],
                "subscription": sub.id,
            }
            parent_type = "invoice_item_details"
            if subscription_item:
                parent_type = "subscription_item_details"
                details["subscription_item"] = subscription_item
            line = self._line_dict(
                sub,
                ii["amount"],
                ii["description"],
                ii["discountable"],
                {"type": parent_type, parent_type: details},
                ii["period"]["start"],
                ii["period"]["end"],
                ii["pricing"]["price_details"],
                ii["pricing"]["unit_amount_decimal"],
                ii["quantity"],
                invoiceitem_id=ii["id"],
            )
            # a proration's discounts: itemized on the line, or listed with amounts 0 (the
            # amount already net: `included`)
            for discount in ii["proration_details"]["discount_amounts"]:
                line["discounts"].append(discount["discount"])
                itemized = sub.proration_discounts == "itemized"
                line["discount_amounts"].append(
                    {
                        "amount": discount["amount"] if itemized else 0,
                        "discount": discount["discount"],
                    }
                )
            lines.append(line)
        sub.pending_invoiceitems = []
        return lines

    def _period_lines(self, sub, start: int, end: int, used) -> list[dict]:
        """Licensed items in advance for [start, end); metered items in arrears for the
        `used` period that just ended (none on a first invoice)."""
        lines = []
        for item in sub.items:
            if item["quantity"] is not None:
                lines.append(self._period_line(sub, item, start, end))
            elif used is not None:
                price, usage = item["price"], self._usage[item["id"]]
                name = self.products[price["product"]]["name"]
                lines.append(
                    self._line(
                        sub,
                        item,
                        used[0],
                        used[1],
                        amount=price["unit_amount"] * usage,
                        quantity=usage,
                        description=f"{usage} × {name} (usage)",
                    )
                )
        return lines

    def _period_line(self, sub, item, start: int, end: int) -> dict:
        price = item["price"]
        name = self.products[price["product"]]["name"]
        return self._line(
            sub,
            item,
            start,
            end,
            amount=price["unit_amount"] * item["quantity"],
            description=f"{item['quantity']} × {name} (at {_money(price)} / {_per(price)})",
        )

    def _trial_text(self, item) -> str:
        return f"Trial period for {self.products[item['price']['product']]['name']}"

    def _line(self, sub, item, start, end, *, amount, description, quantity=None) -> dict:
        price = item["price"]
        return self._line_dict(
            sub,
            amount,
            description,
            True,
            {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub.id,
                    "subscription_item": item["id"],
                },
            },
            start,
            end,
            {"price": price["id"], "product": price["product"]},
            price["unit_amount_decimal"],
            item["quantity"] if quantity is None else quantity,
        )

    def _line_dict(
        self,
        sub,
        amount,
        description,
        discountable,
        parent,
        start,
        end,
        price_details,
        unit_amount_decimal,
        quantity,
        invoiceitem_id=None,
    ) -> dict:
        parent = {
            "type": parent["type"],
            "invoice_item_details": parent.get("invoice_item_details"),
            "subscription_item_details": parent.get("subscription_item_details"),
        }
        return {
            "id": self.new_id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": sub.currency,
            "description": description,
            "discount_amounts": [],
            "discountable": discountable,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": parent,
            "period": {"start": start, "end": end},
            "pretax_credit_amounts": [],
            "pricing": {
                "type": "price_details",
                "price_details": dict(price_details),
                "unit_amount_decimal": unit_amount_decimal,
            },
            "quantity": quantity,
            "taxes": [],
            "_invoiceitem": invoiceitem_id,
        }

    # --- invoices and payments ----------------------------------------------------------
    def _invoice(self, sub: _Subscription, now: int, billing_reason: str, lines) -> dict:
        invoice_id = self.new_id("in")
        discounts = self._active_discounts(sub, now)
        totals: dict[str, int] = {}
        for discount in discounts:
            totals[discount["id"]] = self._apply_discount(discount, lines, sub.currency)
        for line in lines:  # itemized proration discounts (not discountable lines)
            if not line["discountable"]:
                for discount in line["discount_amounts"]:
                    totals[discount["discount"]] = (
                        totals.get(discount["discount"], 0) + discount["amount"]
                    )
        for line in lines:
            line["invoice"] = invoice_id
            invoiceitem_id = line.pop("_invoiceitem")
            if invoiceitem_id:
                self.invoiceitems[invoiceitem_id]["invoice"] = invoice_id
        for line in lines:
            item_id = (line["parent"]["subscription_item_details"] or {}).get("subscription_item")
            if item_id and not (line["parent"]["subscription_item_details"]["proration"]):
                sub.last_lines[item_id] = (invoice_id, line["id"])
        subtotal = sum(line["amount"] for line in lines)
        discount_total = sum(totals.values())
        total = subtotal - discount_total
        balance = self._balances.get(sub.customer, 0)
        if total >= 0:
            applied = min(-balance, total) if balance < 0 else 0
            amount_due, ending_balance = total - applied, balance + applied
        else:
            amount_due, ending_balance = 0, balance + total
        self._balances[sub.customer] = ending_balance
        count = self._invoice_counts[sub.customer] = self._invoice_counts.get(sub.customer, 0) + 1
        prefix = sub.customer.split("_", 1)[-1][:8].upper()
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "account_country": "US",
            "account_name": "stripe_dwh demo",
            "account_tax_ids": None,
            "amount_due": amount_due,
            "amount_overpaid": 0,
            "amount_paid": 0,
            "amount_remaining": amount_due,
            "amount_shipping": 0,
            "application": None,
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "automatic_tax": {
                "disabled_reason": None,
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "automatically_finalizes_at": None,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": now,
            "currency": sub.currency,
            "custom_fields": None,
            "customer": sub.customer,
            "customer_address": None,
            "customer_email": None,
            "customer_name": None,
            "customer_phone": None,
            "customer_shipping": None,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": None,
            "default_source": None,
            "default_tax_rates": [],
            "description": None,
            "discounts": [d["id"] for d in discounts],
            "due_date": None,
            "effective_at": now + FINALIZE_DELAY,
            "ending_balance": ending_balance,
            "footer": None,
            "from_invoice": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "issuer": {"type": "self"},
            "last_finalization_error": None,
            "latest_revision": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "total_count": len(lines),
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": f"{prefix}-{count:04d}",
            "on_behalf_of": None,
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(sub.metadata),
                    "subscription": sub.id,
                    "subscription_proration_date": None,
                },
            },
            "payment_settings": {
                "default_mandate": None,
                "payment_method_options": None,
                "payment_method_types": None,
            },
            "payments": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/invoice_payments?invoice={invoice_id}",
            },
            "period_end": now,
            "period_start": now,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "rendering": None,
            "shipping_cost": None,
            "shipping_details": None,
            "starting_balance": balance,
            "statement_descriptor": None,
            "status": "draft",
            "status_transitions": {
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "test_clock": None,
            "total": total,
            "total_discount_amounts": [
                {"amount": amount, "discount": discount_id}
                for discount_id, amount in totals.items()
            ],
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": now,
        }
        self.invoices[invoice_id] = invoice
        self._subscription_invoices.setdefault(sub.id, []).append(invoice_id)
        self._invoice_payment_ids[invoice_id] = []
        sub.latest_invoice = invoice_id
        for discount in discounts:
            coupon = self._coupon(discount["source"]["coupon"])
            # A "once" coupon is spent by the first invoice it reduces (not by a trial's
            # zero invoice).
            if coupon["duration"] == "once" and totals[discount["id"]]:
                sub.discount_ids.remove(discount["id"])
        self._emit("invoice.created", invoice, now)
        return invoice

    def _coupon(self, coupon_id: str) -> dict:
        return self.coupons.get(coupon_id) or self._deleted_coupons[coupon_id]

    def _apply_discount(self, discount: dict, lines: list, currency: str) -> int:
        """Fill each discountable line's discount_amounts; returns the discount's total."""
        coupon = self._coupon(discount["source"]["coupon"])
        eligible = [line for line in lines if line["discountable"] and line["amount"] > 0]
        if coupon["percent_off"] is not None:
            percent = Fraction(str(coupon["percent_off"]))
            amounts = [round_half_up(line["amount"] * percent / 100) for line in eligible]
        elif coupon["currency"] != currency or not eligible:
            amounts = [0] * len(eligible)
        else:
            base = sum(line["amount"] for line in eligible)
            off = min(coupon["amount_off"], base)
            amounts = [off * line["amount"] // base for line in eligible]
            amounts[-1] += off - sum(amounts)  # the rounding remainder on the last line
        for line, amount in zip(eligible, amounts, strict=True):
            line["discounts"].append(discount["id"])
            line["discount_amounts"].append({"amount": amount, "discount": discount["id"]})
        return sum(amounts)

    def _collect(self, sub: _Subscription, invoice: dict, now: int, first_invoice=False) -> None:
        """Finalise the invoice and charge it (at once when nothing is due)."""
        finalized = now + FINALIZE_DELAY if invoice["amount_due"] else now
        invoice["status"] = "open"
        invoice["status_transitions"]["finalized_at"] = finalized
        invoice["effective_at"] = finalized
        self._emit("invoice.finalized", invoice, finalized)
        if invoice["amount_due"] == 0:
            self._mark_paid(invoice, finalized)
            if sub.status == "incomplete":
                self._set_status(sub, "active", finalized)
            return
        failure = None
        for planned in sub.planned_failures:
            if planned[0] <= now:
                failure = planned
                break
        if failure is None:
            self._attempt(sub, invoice, finalized, succeed=True)
            if sub.status in ("incomplete", "past_due"):
                self._set_status(sub, "active", finalized)
            return
        sub.planned_failures.remove(failure)
        _, outcome, retry_days = failure
        self._attempt(sub, invoice, finalized, succeed=False)
        retries = [finalized + days * DAY for days in retry_days]
        sub.dunning = {"invoice": invoice["id"], "outcome": outcome, "retries": retries}
        invoice["next_payment_attempt"] = retries[0] if retries else None
        self._emit("invoice.updated", invoice, finalized)
        self._set_status(sub, "past_due", finalized)
        if not retries:
            self._give_up(sub, finalized)

    def _retry(self, sub: _Subscription, when: int) -> None:
        invoice = self.invoices[sub.dunning["invoice"]]
        retries = sub.dunning["retries"]
        retries.pop(0)
        last = not retries
        succeed = last and sub.dunning["outcome"] == "recover"
        self._attempt(sub, invoice, when, succeed=succeed)
        if succeed:
            sub.dunning = None
            self._set_status(sub, "active", when)
            return
        invoice["next_payment_attempt"] = retries[0] if retries else None
        self._emit("invoice.updated", invoice, when)
        if last:
            self._give_up(sub, when)

    def _give_up(self, sub: _Subscription, when: int) -> None:
        invoice = self.invoices[sub.dunning["invoice"]]
        outcome = sub.dunning["outcome"]
        sub.dunning = None
        if outcome == "unpaid":
            self._set_status(sub, "unpaid", when)
            return
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = when
        self._emit("invoice.marked_uncollectible", invoice, when)
        sub.canceled_at = when
        sub.cancellation_reason = "payment_failed"
        self._end(sub, when)

    def _set_status(self, sub: _Subscription, status: str, when: int) -> None:
        if sub.status == status:
            return
        previous = sub.status
        sub.status = status
        self._emit(
            "customer.subscription.updated",
            sub,
            when,
            previous={"status": previous},
        )

    def _attempt(self, sub, invoice: dict, when: int, *, succeed: bool) -> None:
        payment = self._default_payment(invoice, when)
        intent = self.payment_intents[payment["payment"]["payment_intent"]]
        charge = self._charge(sub, invoice, intent, when, succeed)
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        intent["latest_charge"] = charge["id"]
        if succeed:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            intent["last_payment_error"] = None
            payment["status"] = "paid"
            payment["amount_paid"] = invoice["amount_due"]
            payment["status_transitions"]["paid_at"] = when
            self._emit("charge.succeeded", charge, when)
            self._emit("payment_intent.succeeded", intent, when)
            self._mark_paid(invoice, when)
        else:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "type": "card_error",
            }
            self._emit("charge.failed", charge, when)
            self._emit("payment_intent.payment_failed", intent, when)
            self._emit("invoice.payment_failed", invoice, when)
        self._refresh_payments(invoice)

    def _mark_paid(self, invoice: dict, when: int) -> None:
        invoice["status"] = "paid"
        invoice["amount_paid"] = invoice["amount_due"]
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["paid_at"] = when
        self._emit("invoice.paid", invoice, when)
        self._emit("invoice.payment_succeeded", invoice, when)

    def _void(self, invoice: dict, when: int) -> None:
        invoice["status"] = "void"
        invoice["amount_remaining"] = 0
        invoice["next_payment_attempt"] = None
        invoice["status_transitions"]["voided_at"] = when
        for payment_id in self._invoice_payment_ids[invoice["id"]]:
            payment = self.invoice_payments[payment_id]
            if payment["status"] == "open":
                payment["status"] = "canceled"
                payment["status_transitions"]["canceled_at"] = when
                intent = self.payment_intents[payment["payment"]["payment_intent"]]
                intent["status"] = "canceled"
                intent["canceled_at"] = when
        self._refresh_payments(invoice)
        self._emit("invoice.voided", invoice, when)

    def _default_payment(self, invoice: dict, when: int) -> dict:
        if invoice["payments"]["data"]:
            return self.invoice_payments[invoice["payments"]["data"][0]["id"]]
        intent_id = self.new_id("pi")
        self.payment_intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": invoice["amount_due"],
            "amount_capturable": 0,
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": None,
            "confirmation_method": "automatic",
            "created": when,
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "description": self.charge_description,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {},
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": self.subscriptions[
                invoice["parent"]["subscription_details"]["subscription"]
            ].default_payment_method,
            "payment_method_types": ["card"],
            "receipt_email": None,
            "review": None,
            "setup_future_usage": "off_session",
            "shipping": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
        }
        payment = {
            "id": self.new_id("inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_due"],
            "created": when,
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": intent_id},
            "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        }
        self.invoice_payments[payment["id"]] = payment
        self._invoice_payment_ids[invoice["id"]].append(payment["id"])
        self._refresh_payments(invoice)
        return payment

    def _refresh_payments(self, invoice: dict) -> None:
        payments = [self.invoice_payments[p] for p in self._invoice_payment_ids[invoice["id"]]]
        invoice["payments"]["data"] = [
            {
                **p,
                "payment": dict(p["payment"]),
                "status_transitions": dict(p["status_transitions"]),
            }
            for p in payments
        ]
        invoice["payments"]["total_count"] = len(payments)

    def _paid_charge_id(self, invoice: dict) -> str:
        for payment in invoice["payments"]["data"]:
            if payment["status"] == "paid":
                return self.payment_intents[payment["payment"]["payment_intent"]]["latest_charge"]
        raise ValueError(f"{invoice['id']} has no paid payment")

    def _charge(self, sub, invoice, intent, when, succeed: bool) -> dict:
        charge_id = self.new_id("ch")
        amount, currency = invoice["amount_due"], invoice["currency"]
        balance_transaction = None
        if succeed:
            settled, _ = self.settle(amount, currency, when)
            fee = round_half_up(Fraction(settled * 29, 1000)) + 30
            if currency != self.settlement_currency:
                fee += round_half_up(Fraction(settled * 15, 1000))
            balance_transaction = self._balance_transaction(
                amount, currency, when, charge_id, "charge", fee, self.charge_description
            )
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if succeed else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": balance_transaction,
            "billing_details": {
                "address": None,
                "email": None,
                "name": None,
                "phone": None,
            },
            "calculated_statement_descriptor": "STRIPE DWH",
            "captured": succeed,
            "created": when,
            "currency": currency,
            "customer": invoice["customer"],
            "description": self.charge_description,
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None if succeed else "card_declined",
            "failure_message": None if succeed else "Your card has insufficient funds.",
            "fraud_details": {},
            "livemode": False,
            "metadata": {},
            "on_behalf_of": None,
            "outcome": {
                "network_status": "approved_by_network" if succeed else "declined_by_network",
                "reason": None if succeed else "insufficient_funds",
                "risk_level": "normal",
                "seller_message": "Payment complete."
                if succeed
                else "The bank returned the decline code `insufficient_funds`.",
                "type": "authorized" if succeed else "issuer_declined",
            },
            "paid": succeed,
            "payment_intent": intent["id"],
            "payment_method": sub.default_payment_method,
            "payment_method_details": None,
            "receipt_email": None,
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "refunds": no_refunds(charge_id),
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "succeeded" if succeed else "failed",
            "transfer_data": None,
            "transfer_group": None,
        }
        self.charges[charge_id] = charge
        return charge

    def settle(self, amount: int, currency: str, when: int) -> tuple[int, float | None]:
        """`amount` minor units of `currency` in the settlement currency's minor units, and
        the exchange rate (major per major, None when no conversion)."""
        if currency == self.settlement_currency:
            return amount, None
        rate = Fraction(str(self._usd_rate(currency, when)))
        settled = Fraction(amount, 10 ** currency_exponent(currency)) * rate
        settled *= 10 ** currency_exponent(self.settlement_currency)
        # Half to even, exactly: the demo generator's own conversions round the same way.
        return round(settled), float(rate)

    def _balance_transaction(self, amount, currency, when, source, kind, fee, description):
        settled, rate = self.settle(amount, currency, when)
        fee_details = []
        if fee:
            fee_details.append(
                {
                    "amount": fee,
                    "application": None,
                    "currency": self.settlement_currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            )
        return {
            "id": self.new_id("txn"),
            "object": "balance_transaction",
            "amount": settled,
            "available_on": when + 2 * DAY,
            "created": when,
            "currency": self.settlement_currency,
            "description": description,
            "exchange_rate": rate,
            "fee": fee,
            "fee_details": fee_details,
            "net": settled - fee,
            "reporting_category": kind,
            "source": source,
            "status": "available",
            "type": kind,
        }


def _day(moment: int) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%d %b %Y")


def _money(price: dict) -> str:
    exponent = currency_exponent(price["currency"])
    major = Fraction(price["unit_amount"], 10**exponent)
    return f"{float(major):.{exponent}f} {price['currency'].upper()}"


def _per(price: dict) -> str:
    recurring = price["recurring"]
    count = recurring["interval_count"]
    return recurring["interval"] if count == 1 else f"{count} {recurring['interval']}s"
