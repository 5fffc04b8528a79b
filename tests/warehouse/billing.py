"""A small Stripe-Billing scenario builder for the MRR tests: products, prices, coupons,
customers, subscriptions, invoices with lines, invoice payments and the charges (with their
balance transactions) that paid them, in the shapes of API 2025-03-31.basil and later:

- invoice lines carry `pricing.price_details` and `parent.subscription_item_details`
  (subscription, subscription item, `proration`), not top-level price/plan/subscription;
- invoices carry `parent.subscription_details` and `payments` (invoice payment objects),
  not `subscription`, `charge`, `payment_intent` or `paid`;
- discounts are `discounts` arrays, with `discount_amounts` on each line;
- a price or quantity change's proration lines come from invoice items (the line's
  `parent.subscription_item_details.invoice_item`); under a percent-off coupon they are
  discounted in Stripe's default `included` form (the line's amount already discounted, its
  `discount_amounts` at 0, the discount on the invoice item's
  `proration_details.discount_amounts`) or, for a subscription created with
  `proration_discounts="itemized"`, with the gross amount and the line's `discount_amounts`.

Each method records what Stripe would hold after the action; `objects()` returns them in the
order dj-stripe can sync them. Plain data: the tests' oracle reads the same dicts.
"""

import calendar
import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import stripe

from warehouse.money import currency_exponent


def ts(value: dt.datetime) -> int:
    return int(value.timestamp())


def add_interval(moment: dt.datetime, interval: str, count: int) -> dt.datetime:
    if interval == "day":
        return moment + dt.timedelta(days=count)
    if interval == "week":
        return moment + dt.timedelta(weeks=count)
    months = count * (12 if interval == "year" else 1)
    year, month0 = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


@dataclass
class Item:
    id: str
    price: dict
    quantity: int


@dataclass
class Sub:
    data: dict
    items: list[Item]
    period_start: dt.datetime
    period_end: dt.datetime
    coupon: dict | None = None
    coupon_invoices_left: int | None = None  # None: forever
    discount_id: str | None = None
    proration_discounts: str = "included"  # billing_mode.flexible.proration_discounts
    pending_lines: list[dict] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def interval(self) -> tuple[str, int]:
        recurring = self.items[0].price["recurring"]
        return recurring["interval"], recurring["interval_count"]


class Billing:
    def __init__(self, prefix: str = "T", settlement_currency: str = "usd"):
        self.prefix = prefix
        self.settlement_currency = settlement_currency
        self.products: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.coupons: dict[str, dict] = {}
        self.customers: dict[str, dict] = {}
        self.subscriptions: dict[str, Sub] = {}
        self.invoices: dict[str, dict] = {}
        self.invoiceitems: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.rates: dict[str, Decimal] = {}
        self._numbers = itertools.count(1)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{self.prefix}{next(self._numbers):06d}"

    # --- catalogue -------------------------------------------------------------------

    def product(self, name: str) -> dict:
        product = {
            "id": self._id("prod"),
            "object": "product",
            "active": True,
            "created": 1700000000,
            "default_price": None,
            "description": None,
            "livemode": False,
            "metadata": {},
            "name": name,
            "type": "service",
            "unit_label": None,
            "url": None,
        }
        self.products[product["id"]] = product
        return product

    def price(
        self,
        product: dict,
        unit_amount: int,
        currency: str = "usd",
        interval: str | None = "month",
        interval_count: int = 1,
        usage_type: str = "licensed",
        nickname: str = "",
    ) -> dict:
        price = {
            "id": self._id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": 1700000000,
            "currency": currency,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": nickname or f"{product['name']} {interval or 'once'}",
            "product": product["id"],
            "recurring": (
                {
                    "interval": interval,
                    "interval_count": interval_count,
                    "meter": None,
                    "usage_type": usage_type,
                }
                if interval
                else None
            ),
            "tax_behavior": "exclusive",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if interval else "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
        self.prices[price["id"]] = price
        return price

    def coupon(
        self,
        *,
        percent_off: float | None = None,
        amount_off: int | None = None,
        currency: str | None = None,
        duration: str = "forever",
        duration_in_months: int | None = None,
    ) -> dict:
        coupon = {
            "id": self._id("co"),
            "object": "coupon",
            "amount_off": amount_off,
            "created": 1700000000,
            "currency": currency,
            "duration": duration,
            "duration_in_months": duration_in_months,
            "livemode": False,
            "max_redemptions": None,
            "metadata": {},
            "name": f"{percent_off or amount_off} off {duration}",
            "percent_off": percent_off,
            "redeem_by": None,
            "times_redeemed": 0,
            "valid": True,
        }
        self.coupons[coupon["id"]] = coupon
        return coupon

    def customer(self, email: str | None = None) -> dict:
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": 1700000000,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "email": email or "",
            "invoice_prefix": "ABC",
            "invoice_settings": {"default_payment_method": None},
            "livemode": False,
            "metadata": {},
            "name": None,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
        }
        self.customers[customer["id"]] = customer
        return customer

    def exchange_rate(self, currency: str, rate: str) -> None:
        """Charges in `currency` from now on settle at this rate."""
        self.rates[currency] = Decimal(rate)

    # --- subscriptions ------------------------------------------------------------------

    def subscribe(
        self,
        customer: dict,
        items: list[tuple[dict, int]],
        start: dt.datetime,
        *,
        trial_days: int = 0,
        coupon: dict | None = None,
        pay: bool = True,
        status: str | None = None,
        proration_discounts: str = "included",
    ) -> Sub:
        if proration_discounts not in ("included", "itemized"):
            raise ValueError("proration_discounts is 'included' or 'itemized'")
        sub_id = self._id("sub")
        sub_items = [Item(self._id("si"), price, quantity) for price, quantity in items]
        data = {
            "id": sub_id,
            "object": "subscription",
            "billing_cycle_anchor": ts(start),
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "collection_method": "charge_automatically",
            "created": ts(start),
            "currency": items[0][0]["currency"],
            "customer": customer["id"],
            "days_until_due": None,
            "default_payment_method": None,
            "description": None,
            "discounts": [],
            "ended_at": None,
            "latest_invoice": None,
            "livemode": False,
            "metadata": {},
            "start_date": ts(start),
            "status": "active",
            "trial_end": None,
            "trial_start": None,
        }
        interval, count = (
            sub_items[0].price["recurring"]["interval"],
            sub_items[0].price["recurring"]["interval_count"],
        )
        sub = Sub(data, sub_items, start, add_interval(start, interval, count))
        sub.proration_discounts = proration_discounts
        if coupon is not None:
            sub.coupon = coupon
            sub.discount_id = self._id("di")
            sub.coupon_invoices_left = {
                "once": 1,
                "repeating": coupon["duration_in_months"],
                "forever": None,
            }[coupon["duration"]]
            data["discounts"] = [sub.discount_id]
        self.subscriptions[sub_id] = sub
        if trial_days:
            trial_end = start + dt.timedelta(days=trial_days)
            data.update(status="trialing", trial_start=ts(start), trial_end=ts(trial_end))
            sub.period_end = trial_end
            self._invoice(
                sub, start, [self._period_lines(sub, start, trial_end, trial=True)], pay=True
            )
        else:
            self._invoice(sub, start, [self._period_lines(sub, start, sub.period_end)], pay=pay)
            if not pay:
                data["status"] = status or "past_due"
        self._sync_items(sub)
        return sub

    def renew(self, sub: Sub, *, pay: bool | dt.datetime = True) -> dict:
        """The next period's invoice at the current period end (with pending prorations).
        `pay`: paid at once, unpaid (False), or paid later at the given moment."""
        start = sub.period_end
        interval, count = sub.interval
        end = add_interval(start, interval, count)
        sub.period_start, sub.period_end = start, end
        if sub.data["status"] == "trialing":
            sub.data["status"] = "active"
        lines = [*sub.pending_lines, *self._period_lines(sub, start, end)]
        sub.pending_lines = []
        invoice = self._invoice(sub, start, [lines], pay=pay is True)
        if pay is False:
            sub.data["status"] = "past_due"
        elif pay is not True:
            self.pay(invoice, pay)
        else:
            sub.data["status"] = "active"
        self._sync_items(sub)
        return invoice

    def change(
        self,
        sub: Sub,
        at: dt.datetime,
        *,
        item_index: int = 0,
        price: dict | None = None,
        quantity: int | None = None,
        invoice_now: bool = False,
    ) -> None:
        """Change an item's price and/or quantity at `at`, with prorations (credit for the
        unused time of the old, charge for the remaining time of the new), invoiced at the
        next renewal or at once."""
        item = sub.items[item_index]
        old_price, old_quantity = item.price, item.quantity
        item.price = price or item.price
        item.quantity = quantity if quantity is not None else item.quantity
        fraction = Decimal(ts(sub.period_end) - ts(at)) / Decimal(
            ts(sub.period_end) - ts(sub.period_start)
        )
        credit = self._line(
            sub,
            item,
            at,
            sub.period_end,
            proration=True,
            price=old_price,
            quantity=old_quantity,
            amount=-int((old_price["unit_amount"] * old_quantity * fraction).to_integral_value()),
        )
        charge = self._line(
            sub,
            item,
            at,
            sub.period_end,
            proration=True,
            amount=int((item.price["unit_amount"] * item.quantity * fraction).to_integral_value()),
        )
        for line in (credit, charge):
            self._proration_invoice_item(sub, line, at)
        if invoice_now:
            self._invoice(
                sub, at, [[credit, charge]], pay=True, billing_reason="subscription_update"
            )
        else:
            sub.pending_lines += [credit, charge]
        self._sync_items(sub)

    def _discount_object(self, sub: Sub, at: dt.datetime) -> dict:
        return {
            "id": sub.discount_id,
            "object": "discount",
            "checkout_session": None,
            "customer": sub.data["customer"],
            "end": None,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": None,
            "source": {"coupon": sub.coupon["id"], "type": "coupon"},
            "start": sub.data["start_date"],
            "subscription": sub.id,
            "subscription_item": None,
        }

    def _proration_invoice_item(self, sub: Sub, line: dict, at: dt.datetime) -> dict:
        """The invoice item behind a proration line, and the subscription's percent-off
        coupon on both. Amount-off coupons leave prorations undiscounted (as
        docs/metrics.md says of the warehouse's reading)."""
        gross = line["amount"]
        discounts = []
        coupon = sub.coupon
        coupon_running = coupon is not None and (
            sub.coupon_invoices_left is None or sub.coupon_invoices_left > 0
        )
        if coupon_running and coupon["percent_off"] is not None:
            # signed like the line: a credit's discount is negative (amount - discount = net)
            off = int(
                (Decimal(gross) * Decimal(str(coupon["percent_off"])) / 100).to_integral_value()
            )
            discounts = [{"amount": off, "discount": sub.discount_id}]
            line["discounts"] = [sub.discount_id]
            if sub.proration_discounts == "itemized":
                line["discount_amounts"] = [dict(d) for d in discounts]
            else:  # included: the line's amount is net, its discount amounts 0
                line["amount"] = gross - off
                line["discount_amounts"] = [{"amount": 0, "discount": sub.discount_id}]
        item = {
            "id": self._id("ii"),
            "object": "invoiceitem",
            "amount": line["amount"],
            "currency": line["currency"],
            "customer": sub.data["customer"],
            "date": ts(at),
            "description": line["description"],
            "discountable": False,
            # as dj-stripe retrieves an invoice item: expand=["discounts"]
            "discounts": [self._discount_object(sub, at) for _ in line["discounts"]],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "net_amount": gross - sum(d["amount"] for d in discounts),
            "parent": {
                "subscription_details": {
                    "subscription": sub.id,
                    "subscription_item": line["parent"]["subscription_item_details"][
                        "subscription_item"
                    ],
                },
                "type": "subscription_details",
            },
            "period": dict(line["period"]),
            "pricing": dict(line["pricing"]),
            "proration": True,
            "proration_details": {"credited_items": None, "discount_amounts": discounts},
            "quantity": line["quantity"],
            "tax_rates": [],
            "test_clock": None,
        }
        self.invoiceitems[item["id"]] = item
        line["parent"]["subscription_item_details"]["invoice_item"] = item["id"]
        return item

    def add_item(self, sub: Sub, price: dict, quantity: int, at: dt.datetime) -> Item:
        """A new item mid-period, charged for the remaining time at once."""
        item = Item(self._id("si"), price, quantity)
        sub.items.append(item)
        fraction = Decimal(ts(sub.period_end) - ts(at)) / Decimal(
            ts(sub.period_end) - ts(sub.period_start)
        )
        line = self._line(
            sub,
            item,
            at,
            sub.period_end,
            proration=True,
            amount=int((price["unit_amount"] * quantity * fraction).to_integral_value()),
        )
        self._invoice(sub, at, [[line]], pay=True, billing_reason="subscription_update")
        self._sync_items(sub)
        return item

    def cancel(self, sub: Sub, at: dt.datetime, *, at_period_end: bool = False) -> None:
        data = sub.data
        data["canceled_at"] = ts(at)
        if at_period_end:
            data["cancel_at_period_end"] = True
            data["cancel_at"] = ts(sub.period_end)
        else:
            data.update(status="canceled", ended_at=ts(at), cancel_at=None)

    def end_at_period_end(self, sub: Sub) -> None:
        """Stripe ends a subscription set to cancel at its period end."""
        sub.data.update(status="canceled", ended_at=ts(sub.period_end))

    def mark(self, sub: Sub, status: str, at: dt.datetime | None = None) -> None:
        sub.data["status"] = status
        if status == "canceled":
            sub.data.update(ended_at=ts(at), canceled_at=ts(at))

    def void(self, invoice: dict, at: dt.datetime) -> None:
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = ts(at)

    # --- invoices, payments, charges ------------------------------------------------------

    def _period_lines(self, sub: Sub, start, end, *, trial: bool = False) -> list[dict]:
        lines = [
            self._line(
                sub,
                item,
                start,
                end,
                amount=0 if trial else item.price["unit_amount"] * item.quantity,
            )
            for item in sub.items
        ]
        if sub.coupon is not None and not trial:
            if sub.coupon_invoices_left is None or sub.coupon_invoices_left > 0:
                self._discount(sub, lines)
                if sub.coupon_invoices_left is not None:
                    sub.coupon_invoices_left -= 1
            elif sub.data["discounts"]:
                sub.data["discounts"] = []
        return lines

    def _discount(self, sub: Sub, lines: list[dict]) -> None:
        coupon = sub.coupon
        total = sum(line["amount"] for line in lines)
        remaining = min(coupon["amount_off"] or 0, total)
        for line in lines:
            if coupon["percent_off"] is not None:
                off = int(
                    (
                        Decimal(line["amount"]) * Decimal(str(coupon["percent_off"])) / 100
                    ).to_integral_value()
                )
            else:  # amount off the invoice, spread over its lines in order
                off = min(remaining, line["amount"])
                remaining -= off
            line["discount_amounts"] = [{"amount": off, "discount": sub.discount_id}]
            line["discounts"] = [sub.discount_id]

    def _line(
        self,
        sub: Sub,
        item: Item,
        start,
        end,
        *,
        amount: int,
        proration: bool = False,
        price: dict | None = None,
        quantity: int | None = None,
    ) -> dict:
        price = price or item.price
        quantity = item.quantity if quantity is None else quantity
        return {
            "id": self._id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": price["currency"],
            "description": f"{quantity} × {price['nickname']}",
            "discount_amounts": [],
            "discountable": not proration,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": {
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": sub.id,
                    "subscription_item": item.id,
                },
                "type": "subscription_item_details",
            },
            "period": {"end": ts(end), "start": ts(start)},
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": price["unit_amount_decimal"],
            },
            "quantity": quantity,
            "taxes": [],
        }

    def _invoice(self, sub: Sub, created, line_groups, *, pay: bool, billing_reason=None) -> dict:
        lines = [line for group in line_groups for line in group]
        invoice_id = self._id("in")
        for line in lines:
            line["invoice"] = invoice_id
            invoice_item = line["parent"]["subscription_item_details"]["invoice_item"]
            if invoice_item:
                self.invoiceitems[invoice_item]["invoice"] = invoice_id
        currency = sub.items[0].price["currency"]
        discount_total = sum(d["amount"] for line in lines for d in line["discount_amounts"])
        subtotal = sum(line["amount"] for line in lines)
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": subtotal - discount_total,
            "amount_paid": 0,
            "amount_remaining": subtotal - discount_total,
            "attempt_count": 0,
            "attempted": False,
            "billing_reason": billing_reason
            or ("subscription_create" if not sub.data["latest_invoice"] else "subscription_cycle"),
            "collection_method": "charge_automatically",
            "created": ts(created),
            "currency": currency,
            "customer": sub.data["customer"],
            "description": None,
            "discounts": [],
            "due_date": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "total_count": len(lines),
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "number": None,
            "parent": {
                "quote_details": None,
                "subscription_details": {"metadata": {}, "subscription": sub.id},
                "type": "subscription_details",
            },
            "payments": {"object": "list", "data": [], "has_more": False},
            "period_end": ts(created),
            "period_start": ts(created),
            "status": "open",
            "status_transitions": {
                "finalized_at": ts(created),
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": subtotal,
            "total": subtotal - discount_total,
            "total_discount_amounts": [],
        }
        if sub.discount_id and discount_total:
            invoice["total_discount_amounts"] = [
                {"amount": discount_total, "discount": sub.discount_id}
            ]
        self.invoices[invoice_id] = invoice
        sub.data["latest_invoice"] = invoice_id
        if pay:
            self.pay(invoice, created)
        return invoice

    def pay(self, invoice: dict, at: dt.datetime) -> dict | None:
        """The invoice is paid at `at` (a charge settled at the currency's rate); a $0
        invoice is paid without a charge."""
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
        invoice["status_transitions"]["paid_at"] = ts(at)
        charge = None
        if invoice["amount_due"] > 0:
            charge = self._charge(invoice, at)
            invoice["payments"]["data"].append(
                {
                    "id": self._id("inpay"),
                    "object": "invoice_payment",
                    "amount_paid": invoice["amount_due"],
                    "amount_requested": invoice["amount_due"],
                    "created": ts(at),
                    "currency": invoice["currency"],
                    "invoice": invoice["id"],
                    "is_default": True,
                    "livemode": False,
                    "payment": {"charge": charge["id"], "type": "charge"},
                    "status": "paid",
                    "status_transitions": {"canceled_at": None, "paid_at": ts(at)},
                }
            )
        sub = self.subscriptions.get(invoice["parent"]["subscription_details"]["subscription"])
        if sub is not None and sub.data["status"] == "past_due":
            sub.data["status"] = "active"
        return charge

    def _charge(self, invoice: dict, at: dt.datetime) -> dict:
        currency = invoice["currency"]
        amount = invoice["amount_due"]
        if currency == self.settlement_currency:
            rate, settled, settlement = None, amount, currency
        else:
            rate = self.rates[currency]
            settled = int(
                (
                    Decimal(amount)
                    * rate
                    * Decimal(10)
                    ** (currency_exponent(self.settlement_currency) - currency_exponent(currency))
                ).to_integral_value()
            )
            settlement = self.settlement_currency
        charge_id = self._id("ch")
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "balance_transaction": {
                "id": self._id("txn"),
                "object": "balance_transaction",
                "amount": settled,
                "available_on": ts(at),
                "created": ts(at),
                "currency": settlement,
                "description": None,
                "exchange_rate": float(rate) if rate is not None else None,
                "fee": 0,
                "fee_details": [],
                "net": settled,
                "reporting_category": "charge",
                "source": charge_id,
                "status": "available",
                "type": "charge",
            },
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "captured": True,
            "created": ts(at),
            "currency": currency,
            "customer": invoice["customer"],
            "description": f"Invoice {invoice['id']}",
            "disputed": False,
            "failure_code": None,
            "failure_message": None,
            "fraud_details": {},
            "livemode": False,
            "metadata": {},
            "outcome": {"type": "authorized"},
            "paid": True,
            "payment_intent": None,
            "payment_method": None,
            "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
            "refunded": False,
            "status": "succeeded",
        }
        self.charges[charge_id] = charge
        return charge

    def refund(self, charge: dict, at: dt.datetime) -> dict:
        refund_id = self._id("re")
        balance = charge["balance_transaction"]
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": charge["amount"],
            "balance_transaction": {
                **balance,
                "id": self._id("txn"),
                "amount": -balance["amount"],
                "net": -balance["net"],
                "created": ts(at),
                "source": refund_id,
                "type": "refund",
                "reporting_category": "refund",
            },
            "charge": charge["id"],
            "created": ts(at),
            "currency": charge["currency"],
            "metadata": {},
            "payment_intent": None,
            "reason": "requested_by_customer",
            "status": "succeeded",
        }
        charge.update(refunded=True, amount_refunded=charge["amount"])
        self.refunds[refund_id] = refund
        return refund

    def _sync_items(self, sub: Sub) -> None:
        sub.data["items"] = {
            "object": "list",
            "data": [
                {
                    "id": item.id,
                    "object": "subscription_item",
                    "created": sub.data["created"],
                    "current_period_end": ts(sub.period_end),
                    "current_period_start": ts(sub.period_start),
                    "discounts": [],
                    "metadata": {},
                    "price": item.price,
                    "quantity": item.quantity,
                    "subscription": sub.id,
                    "tax_rates": [],
                }
                for item in sub.items
            ],
            "has_more": False,
        }

    def remove_item(self, sub: Sub, item_index: int, at: dt.datetime) -> None:
        """Remove an item mid-period, crediting its unused time on the next invoice."""
        item = sub.items.pop(item_index)
        fraction = Decimal(ts(sub.period_end) - ts(at)) / Decimal(
            ts(sub.period_end) - ts(sub.period_start)
        )
        sub.pending_lines.append(
            self._line(
                sub,
                item,
                at,
                sub.period_end,
                proration=True,
                amount=-int(
                    (item.price["unit_amount"] * item.quantity * fraction).to_integral_value()
                ),
            )
        )
        self._sync_items(sub)

    # --- output -------------------------------------------------------------------------

    def objects(self) -> list[tuple[str, dict]]:
        """(kind, Stripe object) in an order dj-stripe can sync them."""
        return [
            *(("product", p) for p in self.products.values()),
            *(("price", p) for p in self.prices.values()),
            *(("coupon", c) for c in self.coupons.values()),
            *(("customer", c) for c in self.customers.values()),
            *(("charge", c) for c in self.charges.values()),
            *(("refund", r) for r in self.refunds.values()),
            *(("subscription", s.data) for s in self.subscriptions.values()),
            *(("invoice", i) for i in self.invoices.values()),
            # after their invoices (dj-stripe would retrieve a missing invoice)
            *(("invoiceitem", i) for i in self.invoiceitems.values()),
        ]


def sync(objects) -> None:
    """Sync (kind, Stripe object) pairs through dj-stripe's manual path, in order."""
    from djstripe import models

    model = {
        "product": models.Product,
        "price": models.Price,
        "coupon": models.Coupon,
        "customer": models.Customer,
        "charge": models.Charge,
        "refund": models.Refund,
        "subscription": models.Subscription,
        "invoice": models.Invoice,
        "invoiceitem": models.InvoiceItem,
    }
    for kind, data in objects:
        # as stripe-python hands them over: nested lists become ListObjects
        model[kind].sync_from_stripe_data(stripe.StripeObject.construct_from(data, stripe.api_key))
