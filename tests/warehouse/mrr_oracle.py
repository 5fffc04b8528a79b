"""The MRR definitions of docs/metrics.md, computed in plain Python from Stripe objects.

Independent of the warehouse: it reads the same Stripe-shaped dicts the test syncs through
dj-stripe, uses exact fractions, and evaluates each customer's MRR at the end of every
calendar day (brute force) instead of the warehouse's step changes and window functions.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from warehouse.money import currency_exponent

FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)
MONTH_FACTOR = {
    "month": Fraction(1),
    "year": Fraction(1, 12),
    "week": Fraction(52, 12),
    "day": Fraction(365, 12),
}


def _moment(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


def _id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


@dataclass(frozen=True)
class Movement:
    customer_id: str
    date: dt.date
    movement_type: str
    mrr_before: int
    mrr_after: int
    amount: int


@dataclass
class Line:
    line_id: str
    customer_id: str
    subscription_id: str
    item_id: str
    price_id: str
    start: dt.datetime
    end: dt.datetime
    is_credit: bool
    rate: Fraction  # invoice currency, per month
    value: int | None  # settlement minor units of this line alone
    invoice_created: dt.datetime
    invoice_paid: bool
    paid_at: dt.datetime | None


class MrrOracle:
    def __init__(self, objects, *, time_zone: str = "UTC", grace_days: int = 30):
        self.zone = ZoneInfo(time_zone)
        self.grace = dt.timedelta(days=grace_days)
        by_kind = defaultdict(list)
        for kind, data in objects:
            by_kind[kind].append(data)
        self.prices = {p["id"]: p for p in by_kind["price"]}
        self.subscriptions = {s["id"]: s for s in by_kind["subscription"]}
        self.charges = {c["id"]: c for c in by_kind["charge"]}
        self.invoiceitems = {i["id"]: i for i in by_kind["invoiceitem"]}
        self.lines = [
            line
            for invoice in by_kind["invoice"]
            if invoice["status"] not in ("void", "deleted", "draft_deleted")
            for line in self._lines(invoice)
        ]
        self.lines_by_item = defaultdict(list)
        for line in self.lines:
            self.lines_by_item[line.item_id].append(line)
        for item_lines in self.lines_by_item.values():
            item_lines.sort(
                key=lambda ln: (ln.start, not ln.is_credit, ln.invoice_created, ln.line_id)
            )

    # --- lines ---------------------------------------------------------------------

    def _fx(self, charge: dict, currency: str) -> tuple[str, Fraction] | None:
        balance = charge.get("balance_transaction")
        if not isinstance(balance, dict):
            return None
        settlement = balance["currency"]
        if settlement == currency:
            return settlement, Fraction(1)
        if balance.get("exchange_rate") is None:
            return None
        scale = Fraction(10) ** (currency_exponent(settlement) - currency_exponent(currency))
        return settlement, Fraction(Decimal(str(balance["exchange_rate"]))) * scale

    def _known_rate(self, currency: str, moment: dt.datetime) -> tuple[str, Fraction] | None:
        settled = sorted(
            (
                (_moment(c["created"]), c["id"], c)
                for c in self.charges.values()
                if c["currency"] == currency
                and c["status"] == "succeeded"
                and isinstance(c.get("balance_transaction"), dict)
            ),
            key=lambda row: (row[0], row[1]),
        )
        before = [row for row in settled if row[0] <= moment]
        after = [row for row in settled if row[0] > moment]
        chosen = before[-1] if before else (after[0] if after else None)
        return self._fx(chosen[2], currency) if chosen else None

    def _lines(self, invoice: dict):
        paid_charge = None
        for payment in (invoice.get("payments") or {}).get("data", []):
            if payment["status"] != "paid":
                continue
            if payment["payment"].get("charge"):
                paid_charge = self.charges.get(_id(payment["payment"]["charge"]))
            else:  # the payment intent's succeeded charge
                intent = _id(payment["payment"].get("payment_intent"))
                paid_charge = max(
                    (
                        c
                        for c in self.charges.values()
                        if _id(c.get("payment_intent")) == intent and c["status"] == "succeeded"
                    ),
                    key=lambda c: (c["created"], c["id"]),
                    default=None,
                )
        created = _moment(invoice["created"])
        for raw in invoice["lines"]["data"]:
            details = (raw.get("parent") or {}).get("subscription_item_details")
            if not details:
                continue
            price = self.prices.get(raw["pricing"]["price_details"]["price"])
            recurring = (price or {}).get("recurring") or {}
            if not recurring or recurring.get("usage_type", "licensed") != "licensed":
                continue
            factor = MONTH_FACTOR[recurring["interval"]] / recurring["interval_count"]
            amount = raw["amount"]
            inclusive_tax = sum(
                t["amount"] for t in raw.get("taxes") or [] if t.get("tax_behavior") == "inclusive"
            )
            discounts = sum(d["amount"] for d in raw.get("discount_amounts") or [])
            # proration_discounts=included: the discount is folded into the amount and only
            # the line's invoice item tells it; read as the itemized form (gross, discount)
            invoice_item = self.invoiceitems.get(details.get("invoice_item")) or {}
            folded = sum(
                d["amount"]
                for d in (invoice_item.get("proration_details") or {}).get("discount_amounts") or []
            )
            if details["proration"] and amount > 0 and discounts == 0 and folded > 0:
                amount, discounts = amount + folded, folded
            net = amount - inclusive_tax - discounts
            credit = details["proration"] and amount < 0
            if credit or amount == 0:
                rate = Fraction(0)
            elif not details["proration"]:
                rate = net * factor
            else:
                rate = (
                    Fraction(Decimal(price["unit_amount_decimal"]))
                    * raw["quantity"]
                    * Fraction(net, amount)
                    * factor
                )
            currency = raw["currency"]
            if invoice["status"] == "paid" and paid_charge is not None:
                fx = self._fx(paid_charge, currency)
            else:
                fx = self._known_rate(currency, created)
            value = None if fx is None else round(rate * fx[1])  # round() on a Fraction: half-even
            yield Line(
                line_id=raw["id"],
                customer_id=_id(invoice["customer"]),
                subscription_id=details["subscription"],
                item_id=details["subscription_item"],
                price_id=price["id"],
                start=_moment(raw["period"]["start"]),
                end=_moment(raw["period"]["end"]),
                is_credit=credit,
                rate=rate,
                value=value,
                invoice_created=created,
                invoice_paid=invoice["status"] == "paid",
                paid_at=_moment(invoice["status_transitions"].get("paid_at")),
            )

    # --- MRR at a moment -------------------------------------------------------------------

    def _item_segments(self, item_id: str):
        """(start, end, value) of each line of the item as it counts: cut short by the next
        line, the last one run on by the subscription's state, a rate run kept at its first
        line's settlement value."""
        lines = self.lines_by_item[item_id]
        segments = []
        run_value = None
        previous_rate = None
        for index, line in enumerate(lines):
            sub = self.subscriptions.get(line.subscription_id) or {}
            status = sub.get("status")
            if status in ("incomplete", "incomplete_expired"):
                continue
            ended_at = _moment(sub.get("ended_at"))
            if ended_at is not None and line.start >= ended_at:
                continue
            if previous_rate is None or line.rate != previous_rate:
                run_value = line.value or 0
            previous_rate = line.rate
            live = [ln for ln in lines[index + 1 :] if ended_at is None or ln.start < ended_at]
            current_items = [i["id"] for i in (sub.get("items") or {}).get("data", [])]
            if live:
                end = min(line.end, live[0].start)
            elif item_id not in current_items or not sub:
                end = line.end
            elif status in ("active", "trialing", "past_due", "unpaid"):
                end = _moment(sub.get("cancel_at")) or FOREVER
            elif status == "canceled":
                end = max(line.end, ended_at) if ended_at else line.end
            else:
                end = line.end
            if ended_at is not None:
                end = min(end, ended_at)
            segments.append((line.start, end, run_value, line.price_id))
        return segments

    def _lapsed(self, subscription_id: str, moment: dt.datetime) -> bool:
        """Past due beyond the grace period at this moment."""
        for line in self.lines:
            if line.subscription_id != subscription_id or line.is_credit or line.rate <= 0:
                continue
            deadline = line.start + self.grace
            if line.invoice_paid and line.paid_at <= deadline:
                continue
            until = line.paid_at if line.invoice_paid else FOREVER
            if deadline <= moment < until:
                return True
        return False

    @staticmethod
    def _day_end(zone, day: dt.date) -> dt.datetime:
        next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        return next_midnight - dt.timedelta(microseconds=1)

    def _subscription_values(self, subscription_id: str, moment: dt.datetime):
        """(price id, value) of each of the subscription's item segments that count at this
        moment."""
        sub = self.subscriptions.get(subscription_id) or {}
        if sub.get("status") in ("incomplete", "incomplete_expired"):
            return
        if self._lapsed(subscription_id, moment):
            return
        items = {ln.item_id for ln in self.lines if ln.subscription_id == subscription_id}
        for item_id in items:
            for start, end, value, price_id in self._item_segments(item_id):
                if start <= moment < end:
                    yield price_id, value

    def customer_mrr(self, customer_id: str, day: dt.date) -> int:
        """MRR at the last moment of the day (reporting time zone)."""
        moment = self._day_end(self.zone, day)
        subscriptions = {ln.subscription_id for ln in self.lines if ln.customer_id == customer_id}
        return sum(
            value
            for subscription_id in subscriptions
            for _, value in self._subscription_values(subscription_id, moment)
        )

    def price_mrr(self, day: dt.date) -> dict[str, tuple[int, int]]:
        """MRR by price at the last moment of the day: {price id: (MRR, subscriptions with
        MRR > 0 at that price)}, prices with MRR > 0 only (MRR by plan)."""
        moment = self._day_end(self.zone, day)
        by_subscription = defaultdict(int)  # (price, subscription) -> MRR
        for subscription_id in {line.subscription_id for line in self.lines}:
            for price_id, value in self._subscription_values(subscription_id, moment):
                by_subscription[(price_id, subscription_id)] += value
        prices = defaultdict(lambda: [0, 0])
        for (price_id, _), mrr in by_subscription.items():
            prices[price_id][0] += mrr
            prices[price_id][1] += mrr > 0
        return {price: (mrr, count) for price, (mrr, count) in prices.items() if mrr > 0}

    # --- movements and marts --------------------------------------------------------------

    def _days(self, customer_id: str) -> list[dt.date]:
        moments = []
        for line in self.lines:
            if line.customer_id == customer_id:
                moments += [line.start, line.end, line.start + self.grace]
                if line.paid_at:
                    moments.append(line.paid_at)
        for sub in self.subscriptions.values():
            if _id(sub["customer"]) == customer_id:
                moments += [_moment(sub.get(k)) for k in ("ended_at", "cancel_at") if sub.get(k)]
        first = min(moments).astimezone(self.zone).date()
        last = max(moments).astimezone(self.zone).date() + dt.timedelta(days=1)
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]

    def customers(self) -> list[str]:
        return sorted({line.customer_id for line in self.lines})

    def movements(self) -> list[Movement]:
        result = []
        for customer_id in self.customers():
            before, had_mrr = 0, False
            for day in self._days(customer_id):
                after = self.customer_mrr(customer_id, day)
                if after == before:
                    continue
                if before == 0:
                    kind = "reactivation" if had_mrr else "new"
                elif after == 0:
                    kind = "churn"
                else:
                    kind = "expansion" if after > before else "contraction"
                result.append(Movement(customer_id, day, kind, before, after, after - before))
                had_mrr = had_mrr or after > 0
                before = after
        return result

    def customer_months(self) -> list[tuple]:
        """(customer, month, cohort month, mrr at previous month end, mrr at month end,
        mrr at cohort month end), months from the first to the last movement's month."""
        rows = []
        by_customer = defaultdict(list)
        for movement in self.movements():
            by_customer[movement.customer_id].append(movement)
        for customer_id, moves in by_customer.items():
            month = first = moves[0].date.replace(day=1)
            last = moves[-1].date.replace(day=1)
            previous, cohort_mrr = 0, None
            while month <= last:
                next_month = (month + dt.timedelta(days=32)).replace(day=1)
                end_of_month = self.customer_mrr(customer_id, next_month - dt.timedelta(days=1))
                if cohort_mrr is None:
                    cohort_mrr = end_of_month
                rows.append((customer_id, month, first, previous, end_of_month, cohort_mrr))
                previous = end_of_month
                month = next_month
        return sorted(rows)

    def month_movements(self) -> list[tuple]:
        """(month, type, amount, movements, customers)."""
        groups = defaultdict(list)
        for movement in self.movements():
            groups[(movement.date.replace(day=1), movement.movement_type)].append(movement)
        return sorted(
            (
                month,
                kind,
                sum(m.amount for m in moves),
                len(moves),
                len({m.customer_id for m in moves}),
            )
            for (month, kind), moves in groups.items()
        )

    def day_movements(self) -> list[tuple]:
        """(day, type, amount, movements, customers whose first movement of the type in the
        day's month is that day)."""
        groups = defaultdict(list)
        first_day = {}  # (customer, month, type) -> the first day of such a movement
        for movement in self.movements():
            groups[(movement.date, movement.movement_type)].append(movement)
            key = (movement.customer_id, movement.date.replace(day=1), movement.movement_type)
            first_day[key] = min(first_day.get(key, movement.date), movement.date)
        return sorted(
            (
                day,
                kind,
                sum(m.amount for m in moves),
                len(moves),
                sum(
                    1 for m in moves if first_day[(m.customer_id, day.replace(day=1), kind)] == day
                ),
            )
            for (day, kind), moves in groups.items()
        )

    def cohorts(self, last_month: dt.date | None = None) -> dict[tuple, tuple]:
        """(cohort, month) -> (mrr, gross retained mrr, customers with mrr) as running values
        for every month from the cohort month to last_month (default: the last month of any
        customer row)."""
        rows = self.customer_months()
        if not rows:
            return {}
        last_month = last_month or max(row[1] for row in rows)
        latest = {}
        for customer_id, month, cohort, _start, end, cohort_mrr in rows:
            latest.setdefault(customer_id, []).append((month, cohort, end, cohort_mrr))
        result = {}
        for months in latest.values():
            cohort = months[0][1]
            cohort_mrr = months[0][3]
            month, index, value = cohort, 0, 0
            while month <= last_month:
                while index < len(months) and months[index][0] <= month:
                    value = months[index][2]
                    index += 1
                mrr, gross, customers = result.get((cohort, month), (0, 0, 0))
                result[(cohort, month)] = (
                    mrr + value,
                    gross + min(value, cohort_mrr),
                    customers + (1 if value > 0 else 0),
                )
                month = (month + dt.timedelta(days=32)).replace(day=1)
        return result
