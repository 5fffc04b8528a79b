"""Fill the benchmark database at scale: dj-stripe's tables and the warehouse, by COPY.

    .venv/bin/python -m bench.generate                      # 100k customers, 1M charges, 500k
    installs, 100k subscriptions
    .venv/bin/python -m bench.generate --customers 5000 --charges 50000 --installs 25000 \
        --subscriptions 5000

dj-stripe rows are written as dj-stripe 2.11 stores them: a few typed columns (charge
`amount` in major units as its legacy decimal field does, refund and balance-transaction
amounts in minor units) plus the full Stripe-shaped object in `stripe_data`. The warehouse
rows (dim_customer, dim_payment_method, fact_transaction, dim_date, installs) are written
from the same generated values, and fact_customer_month is recomputed by the warehouse's own
set-based service, so the warehouse is what a rebuild from these dj-stripe rows should give.

Shares (per charge attempt): ~8 % failed, ~5 % of succeeded refunded (30 % of those partly),
~0.6 % of succeeded disputed (40 % of closed disputes won, with funds reinstated). Currencies:
the demo business's (devtools/business.py: USD, EUR, GBP and zero-decimal JPY by the
customer's country), all settled in USD. Customers sign up over
the months with growth, pay monthly, churn ~10 %/month and some come back after a gap.
Subscriptions (bench/subscriptions.py): the demo's Billing catalog and subscription lives
for about --subscriptions of the customers, simulated by devtools.billing and written as
dj-stripe stores them (invoices with their lines, their charges and fact_transaction rows).
Runs in one process; deterministic for a given --seed and end time.
"""

import argparse
import bisect
import datetime as dt
import io
import json
import random
import time

from bench.db import setup
from bench.subscriptions import BILLING_TABLES, write_subscriptions
from devtools import business
from devtools.business import pick, ts
from warehouse.calendar import date_sk, reporting_time_zone
from warehouse.install_format import CHANNEL_FIELDS, CLIENT_FIELDS, INSTALL_FIELDS
from warehouse.money import currency_exponent

UTC = dt.UTC
# The business (currencies, countries, prices, channels, devices, card brands, declines) is
# the demo's: devtools/business.py. Rendered here as the flat tables the COPY loop wants.
COUNTRIES = [(code, share) for code, (share, _, _) in business.COUNTRIES.items()]
CURRENCIES = [  # (code, minor units of USD per minor unit, price multiplier against USD)
    (
        code,
        business.USD_RATES[code] * 10 ** (2 - currency_exponent(code)),
        business.PRICES[code][0] / business.PRICES["usd"][0],
    )
    for code, _ in business.currency_shares()
]
PLAN_PRICES = [499, 999, 1499, 2999, 4999]
BRANDS = [brand for brand, _ in business.CARD_BRANDS["default"]]
FAILURES = [(code, message) for code, message, _ in business.DECLINES]
CHANNELS = [  # (channel_name, channel_group, channel_label, share of installs)
    (channel.name, channel.group, channel.label, channel.weight) for channel in business.CHANNELS
]
DEVICES = business.DEVICES
APP_VERSIONS = ["5.0.0", "5.1.0", "5.2.0", "5.3.1", "6.0.0"]

WAREHOUSE_TABLES = [
    "mart_mrr_price_month",
    "mart_mrr_cohort",
    "mart_mrr_month_movement",
    "mart_mrr_customer_month",
    "fact_mrr_movement",
    "fact_mrr_change",
    "fact_invoice_line",
    "dim_coupon",
    "dim_price",
    "dim_product",
    "fact_user_acquisition",
    "fact_install_day",
    "fact_install",
    "dim_client",
    "dim_channel",
    "fact_customer_month",
    "fact_transaction",
    "dim_payment_method",
    "dim_customer",
]
DJSTRIPE_TABLES = [
    *BILLING_TABLES,
    "djstripe_dispute",
    "djstripe_refund",
    "djstripe_charge",
    "djstripe_balancetransaction",
    "djstripe_paymentmethod",
    "djstripe_customer",
]
# Rows the webhook benchmark leaves behind; cleared so every generated dataset starts clean.
DJSTRIPE_EVENT_TABLES = ["djstripe_webhookeventtrigger", "djstripe_event"]


def _text(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return value


# The leading columns of every dj-stripe object table, in the order the rows below write them.
STRIPE_OBJECT_COLUMNS = (
    "djstripe_created",
    "djstripe_updated",
    "stripe_data",
    "id",
    "livemode",
    "created",
    "metadata",
)


class CopyBuffer:
    """Rows for one table, flushed by COPY when large."""

    def __init__(self, table: str, columns: list[str], flush_rows: int = 50_000):
        self.table, self.columns, self.flush_rows = table, columns, flush_rows
        self.buffer, self.pending, self.total = io.StringIO(), 0, 0
        self.copy_seconds = 0.0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(map(_text, values)))
        self.buffer.write("\n")
        self.pending += 1

    def flush(self, cursor) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        started = time.perf_counter()
        cursor.copy_expert(
            f"copy {self.table} ({', '.join(self.columns)}) from stdin with (format text)",
            self.buffer,
        )
        self.total += self.pending
        self.copy_seconds += time.perf_counter() - started
        self.buffer, self.pending = io.StringIO(), 0

    def maybe_flush(self, cursor) -> None:
        if self.pending >= self.flush_rows:
            self.flush(cursor)


def _month_start(moment: dt.datetime, months_back: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 - months_back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def attribution_fields(rng: random.Random) -> tuple:
    """One synthetic install's country_code, network, campaign / adgroup / creative names and
    ids and ip_address: the INSTALL_FIELDS from country_code on, in that order."""
    campaign = rng.randint(1, 40)
    return (
        pick(rng, COUNTRIES),
        "network",
        f"campaign {campaign}",
        f"adgroup {campaign}-{rng.randint(1, 5)}",
        f"creative {rng.randint(1, 20)}",
        str(campaign),
        f"{campaign}-{rng.randint(1, 5)}",
        str(rng.randint(1, 20)),
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
    )


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.end = args.end or dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.months = [_month_start(self.end, back) for back in range(args.months - 1, -1, -1)]
        self.start = self.months[0]
        self.zone = reporting_time_zone()
        self.now = dt.datetime.now(UTC)
        self.counts = {}
        self.copy_seconds = {}

    # --- helpers -----------------------------------------------------------------------
    def _moment_in_month(self, month_index: int, not_before: dt.datetime | None = None):
        first = self.months[month_index]
        last = self.months[month_index + 1] if month_index + 1 < len(self.months) else self.end
        low = max(first, not_before) if not_before else first
        if low >= last:
            return None
        span = (last - low).total_seconds()
        return low + dt.timedelta(seconds=int(self.rng.random() * span))

    def _date_sk(self, moment: dt.datetime) -> int:
        return date_sk(moment.astimezone(self.zone))

    # --- customers and payment methods ------------------------------------------------
    def customers(self, cursor):
        rng, args = self.rng, self.args
        djstripe_customer = CopyBuffer(
            "djstripe_customer",
            [
                *STRIPE_OBJECT_COLUMNS,
                "email",
                "date_purged",
            ],
        )
        djstripe_pm = CopyBuffer(
            "djstripe_paymentmethod",
            [
                *STRIPE_OBJECT_COLUMNS,
                "customer_id",
            ],
        )
        self.customer_rows = []  # (stripe_id, created, currency, plan price, [pm ids], deleted)
        self.customer_extra = []  # warehouse columns written after the charges (payment times)
        self.pm_rows = []
        self.pm_cards = {}
        month_weights = [1 + index / len(self.months) for index in range(len(self.months))]
        cumulative = []
        total = 0.0
        for weight in month_weights:
            total += weight
            cumulative.append(total)
        pm_serial = 0
        for number in range(1, args.customers + 1):
            stripe_id = f"cus_bench{number:08d}"
            user_id = f"u{number:08d}"
            month_index = bisect.bisect(cumulative, rng.random() * total)
            month_index = min(month_index, len(self.months) - 1)
            created = self._moment_in_month(month_index) or self.months[month_index]
            country = pick(rng, COUNTRIES)
            currency = business.COUNTRIES[country][1]
            price = rng.choice(PLAN_PRICES)
            deleted = rng.random() < 0.01
            postal = {
                "US": f"{rng.randint(501, 99950):05d}",
                "GB": f"SW{rng.randint(1, 20)} {rng.randint(1, 9)}AA",
                "JP": f"{rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
            }.get(country, f"{rng.randint(1000, 99999):05d}")
            address = {
                "city": f"City {number % 500}",
                "country": country,
                "line1": f"{number} Main Street",
                "line2": None,
                "postal_code": postal,
                "state": None,
            }
            email = f"customer{number}@example.com"
            name = f"Customer {number}"
            pm_ids = []
            for _ in range(2 if rng.random() < 0.1 else 1):
                pm_serial += 1
                pm_id = f"pm_bench{pm_serial:08d}"
                pm_ids.append(pm_id)
                brand = rng.choice(BRANDS)
                card = {
                    "brand": brand,
                    "country": country,
                    "exp_month": rng.randint(1, 12),
                    "exp_year": rng.randint(2026, 2031),
                    "fingerprint": f"fp{rng.getrandbits(48):012x}",
                    "funding": "credit" if rng.random() < 0.7 else "debit",
                    "last4": f"{rng.randint(0, 9999):04d}",
                    "wallet": {"type": "apple_pay"} if rng.random() < 0.15 else None,
                }
                pm_created = created
                pm_data = {
                    "id": pm_id,
                    "object": "payment_method",
                    "billing_details": {
                        "address": address,
                        "email": email,
                        "name": name,
                        "phone": None,
                    },
                    "card": card,
                    "created": ts(pm_created),
                    "customer": stripe_id,
                    "livemode": False,
                    "metadata": {},
                    "type": "card",
                }
                djstripe_pm.add(
                    self.now, self.now, pm_data, pm_id, False, pm_created, {}, stripe_id
                )
                self.pm_rows.append((pm_id, stripe_id, card, pm_created))
                self.pm_cards[pm_id] = {
                    key: card[key]
                    for key in (
                        "brand",
                        "country",
                        "exp_month",
                        "exp_year",
                        "fingerprint",
                        "funding",
                        "last4",
                        "wallet",
                    )
                }
            metadata = {"user_id": user_id}
            data = {
                "id": stripe_id,
                "object": "customer",
                "address": address,
                "balance": 0,
                "created": ts(created),
                "currency": currency,
                "default_source": None,
                "delinquent": False,
                "description": None,
                "email": email,
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": pm_ids[0],
                    "footer": None,
                },
                "livemode": False,
                "metadata": metadata,
                "name": name,
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
            }
            djstripe_customer.add(
                self.now,
                self.now,
                data,
                stripe_id,
                False,
                created,
                metadata,
                email,
                self.now if deleted else None,
            )
            self.customer_rows.append((stripe_id, created, currency, price, pm_ids, deleted))
            self.customer_extra.append((user_id, email, name, country, address))
            djstripe_customer.maybe_flush(cursor)
            djstripe_pm.maybe_flush(cursor)
        djstripe_customer.flush(cursor)
        djstripe_pm.flush(cursor)
        self.counts["djstripe_customer"] = djstripe_customer.total
        self.counts["djstripe_paymentmethod"] = djstripe_pm.total

    # --- charges, balance transactions, refunds, disputes, fact_transaction ------------
    def active_months(self):
        """(customer index, month index) pairs with at least one charge attempt."""
        rng = self.rng
        pairs = []
        last_month = len(self.months) - 1
        for index, (_, created, *_rest) in enumerate(self.customer_rows):
            if rng.random() < 0.1:
                continue  # signs up, never pays
            month = (created.year * 12 + created.month) - (self.start.year * 12 + self.start.month)
            while month <= last_month:
                pairs.append((index, month))
                roll = rng.random()
                if roll < 0.82:
                    month += 1
                elif roll < 0.90:
                    month += rng.randint(2, 5)  # lapses, then comes back
                else:
                    break
        return pairs

    def charges(self, cursor):
        rng, args = self.rng, self.args
        pairs = self.active_months()
        if len(pairs) >= args.charges:
            attempts = rng.sample(pairs, args.charges)
        else:
            attempts = pairs + [rng.choice(pairs) for _ in range(args.charges - len(pairs))]
        attempts.sort()
        bt = CopyBuffer(
            "djstripe_balancetransaction",
            [
                *STRIPE_OBJECT_COLUMNS,
                "amount",
                "currency",
                "source",
                "type",
            ],
        )
        charge = CopyBuffer(
            "djstripe_charge",
            [
                *STRIPE_OBJECT_COLUMNS,
                "amount",
                "currency",
                "status",
                "balance_transaction_id",
                "customer_id",
                "payment_method_id",
            ],
        )
        refund = CopyBuffer(
            "djstripe_refund",
            [
                *STRIPE_OBJECT_COLUMNS,
                "amount",
                "currency",
                "balance_transaction_id",
                "charge_id",
            ],
        )
        dispute = CopyBuffer(
            "djstripe_dispute",
            [
                *STRIPE_OBJECT_COLUMNS,
                "balance_transaction_id",
                "charge_id",
            ],
        )
        fact = CopyBuffer(
            "fact_transaction",
            [
                "stripe_id",
                "transaction_type",
                "status",
                "charge_id",
                "customer_id",
                "payment_method_id",
                "date_sk",
                "occurred_at",
                "amount",
                "currency",
                "balance_transaction_id",
                "settlement_amount",
                "fee",
                "net",
                "settlement_currency",
                "failure_code",
                "failure_message",
                "livemode",
                "updated_at",
            ],
        )
        currency_info = {c[0]: c for c in CURRENCIES}
        self.payment_span = {}  # customer index -> [first, last] succeeded charge time
        serial = {"ch": 0, "txn": 0, "re": 0, "dp": 0}

        def next_id(prefix):
            serial[prefix] += 1
            return f"{prefix}_bench{serial[prefix]:08d}"

        def balance_transaction(source, kind, category, amount, fee, created, status="available"):
            bt_id = next_id("txn")
            data = {
                "id": bt_id,
                "object": "balance_transaction",
                "amount": amount,
                "available_on": ts(created + dt.timedelta(days=2)),
                "created": ts(created),
                "currency": "usd",
                "description": None,
                "exchange_rate": None,
                "fee": fee,
                "fee_details": (
                    [
                        {
                            "amount": fee,
                            "currency": "usd",
                            "description": "Stripe processing fees",
                            "type": "stripe_fee",
                        }
                    ]
                    if fee
                    else []
                ),
                "net": amount - fee,
                "reporting_category": category,
                "source": source,
                "status": status,
                "type": kind,
            }
            bt.add(
                self.now, self.now, data, bt_id, False, created, None, amount, "usd", source, kind
            )
            return bt_id, amount, fee, amount - fee

        for customer_index, month_index in attempts:
            stripe_customer, created, currency, price, pm_ids, _ = self.customer_rows[
                customer_index
            ]
            moment = self._moment_in_month(month_index, not_before=created)
            if moment is None:
                moment = created + dt.timedelta(minutes=rng.randint(1, 59))
            _, to_usd, multiplier = currency_info[currency]
            base = price if rng.random() < 0.8 else rng.randint(199, 9999)
            amount = int(round(base * multiplier))
            if currency_exponent(currency) == 0:  # whole yen, in tens
                amount = max(50, int(round(amount / 10.0)) * 10)
            settlement = int(round(amount * to_usd))
            pm_id = rng.choice(pm_ids)
            charge_id = next_id("ch")
            failed = rng.random() < 0.08
            status = "failed" if failed else "succeeded"
            failure_code, failure_message = rng.choice(FAILURES) if failed else ("", "")
            bt_id = None
            fee = net = None
            if not failed:
                fee = int(round(settlement * 0.029)) + 30
                bt_id, settlement, fee, net = balance_transaction(
                    charge_id, "charge", "charge", settlement, fee, moment
                )
                span = self.payment_span.setdefault(customer_index, [moment, moment])
                span[0], span[1] = min(span[0], moment), max(span[1], moment)
            refunded_amount = 0
            refund_moment = None
            if not failed and rng.random() < 0.05:
                refund_moment = moment + dt.timedelta(hours=rng.randint(2, 24 * 20))
                if refund_moment < self.end:
                    refunded_amount = amount if rng.random() < 0.7 else amount // 2
                else:
                    refund_moment = None
            dispute_plan = None
            if not failed and not refunded_amount and rng.random() < 0.006:
                opened = moment + dt.timedelta(days=rng.randint(10, 40))
                if opened < self.end:
                    dispute_plan = opened
            dispute_id = next_id("dp") if dispute_plan else None
            data = {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_captured": 0 if failed else amount,
                "amount_refunded": refunded_amount,
                "application": None,
                "application_fee": None,
                "application_fee_amount": None,
                "balance_transaction": bt_id,
                "billing_details": None,
                "captured": not failed,
                "created": ts(moment),
                "currency": currency,
                "customer": stripe_customer,
                "description": None,
                "dispute": dispute_id,
                "disputed": bool(dispute_id),
                "failure_code": failure_code or None,
                "failure_message": failure_message or None,
                "fraud_details": {},
                "invoice": None,
                "livemode": False,
                "metadata": {},
                "outcome": {
                    "network_status": "declined_by_network" if failed else "approved_by_network",
                    "type": "issuer_declined" if failed else "authorized",
                    "risk_level": "normal",
                    "seller_message": "",
                },
                "paid": not failed,
                "payment_intent": None,
                "payment_method": pm_id,
                "payment_method_details": {"type": "card", "card": self.pm_cards[pm_id]},
                "receipt_email": None,
                "receipt_url": None,
                "refunded": bool(refunded_amount) and refunded_amount == amount,
                "status": status,
            }
            charge.add(
                self.now,
                self.now,
                data,
                charge_id,
                False,
                moment,
                {},
                amount / 100,
                currency,
                status,
                bt_id,
                stripe_customer,
                pm_id,
            )
            fact.add(
                charge_id,
                "charge",
                status,
                charge_id,
                stripe_customer,
                pm_id,
                self._date_sk(moment),
                moment,
                amount,
                currency,
                bt_id or "",
                settlement if not failed else None,
                fee,
                net,
                "usd" if not failed else "",
                failure_code,
                failure_message,
                False,
                self.now,
            )
            if refunded_amount:
                refund_id = next_id("re")
                refund_settlement = -int(round(refunded_amount * to_usd))
                refund_bt, refund_settlement, refund_fee, refund_net = balance_transaction(
                    refund_id, "refund", "refund", refund_settlement, 0, refund_moment
                )
                refund_data = {
                    "id": refund_id,
                    "object": "refund",
                    "amount": refunded_amount,
                    "balance_transaction": refund_bt,
                    "charge": charge_id,
                    "created": ts(refund_moment),
                    "currency": currency,
                    "metadata": {},
                    "payment_intent": None,
                    "reason": "requested_by_customer",
                    "receipt_number": None,
                    "source_transfer_reversal": None,
                    "status": "succeeded",
                    "transfer_reversal": None,
                }
                refund.add(
                    self.now,
                    self.now,
                    refund_data,
                    refund_id,
                    False,
                    refund_moment,
                    {},
                    refunded_amount,
                    currency,
                    refund_bt,
                    charge_id,
                )
                fact.add(
                    refund_id,
                    "refund",
                    "succeeded",
                    charge_id,
                    stripe_customer,
                    pm_id,
                    self._date_sk(refund_moment),
                    refund_moment,
                    -refunded_amount,
                    currency,
                    refund_bt,
                    refund_settlement,
                    refund_fee,
                    refund_net,
                    "usd",
                    "",
                    "",
                    False,
                    self.now,
                )
            if dispute_plan:
                opened = dispute_plan
                withdrawal = balance_transaction(
                    dispute_id, "adjustment", "dispute", -settlement, 1500, opened
                )
                transactions = [withdrawal]
                closed_at = opened + dt.timedelta(days=rng.randint(20, 60))
                if closed_at >= self.end:
                    dispute_status = "under_review"
                elif rng.random() < 0.4:
                    dispute_status = "won"
                    transactions.append(
                        balance_transaction(
                            dispute_id,
                            "adjustment",
                            "dispute_reversal",
                            settlement,
                            -1500,
                            closed_at,
                        )
                    )
                else:
                    dispute_status = "lost"
                bt_objects = [
                    {
                        "id": t[0],
                        "object": "balance_transaction",
                        "amount": t[1],
                        "fee": t[2],
                        "net": t[3],
                        "currency": "usd",
                        "type": "adjustment",
                        "source": dispute_id,
                        "reporting_category": "dispute" if t[1] < 0 else "dispute_reversal",
                        "created": ts(opened if t[1] < 0 else closed_at),
                    }
                    for t in transactions
                ]
                dispute_data = {
                    "id": dispute_id,
                    "object": "dispute",
                    "amount": amount,
                    "balance_transactions": bt_objects,
                    "charge": charge_id,
                    "created": ts(opened),
                    "currency": currency,
                    "evidence": {},
                    "is_charge_refundable": False,
                    "livemode": False,
                    "metadata": {},
                    "payment_intent": None,
                    "reason": "fraudulent",
                    "status": dispute_status,
                }
                dispute.add(
                    self.now,
                    self.now,
                    dispute_data,
                    dispute_id,
                    False,
                    opened,
                    {},
                    withdrawal[0],
                    charge_id,
                )
                fact.add(
                    dispute_id,
                    "dispute_withdrawal",
                    dispute_status,
                    charge_id,
                    stripe_customer,
                    pm_id,
                    self._date_sk(opened),
                    opened,
                    -amount,
                    currency,
                    withdrawal[0],
                    withdrawal[1],
                    withdrawal[2],
                    withdrawal[3],
                    "usd",
                    "",
                    "",
                    False,
                    self.now,
                )
                if len(transactions) > 1:
                    reinstated = transactions[1]
                    fact.add(
                        dispute_id,
                        "dispute_reinstatement",
                        dispute_status,
                        charge_id,
                        stripe_customer,
                        pm_id,
                        self._date_sk(closed_at),
                        closed_at,
                        amount,
                        currency,
                        reinstated[0],
                        reinstated[1],
                        reinstated[2],
                        reinstated[3],
                        "usd",
                        "",
                        "",
                        False,
                        self.now,
                    )
            for buffer in (bt, charge, refund, dispute, fact):
                buffer.maybe_flush(cursor)
        for buffer in (bt, charge, refund, dispute, fact):
            buffer.flush(cursor)
            self.counts[buffer.table] = buffer.total
            self.copy_seconds[buffer.table] = buffer.copy_seconds

    # --- warehouse dimensions ---------------------------------------------------------
    def warehouse_dimensions(self, cursor):
        """dim_customer and dim_payment_method (written before the facts that reference them)."""
        customers = CopyBuffer(
            "dim_customer",
            [
                "stripe_id",
                "user_id",
                "email",
                "name",
                "country",
                "address_line1",
                "address_line2",
                "address_city",
                "address_state",
                "address_postal_code",
                "created",
                "deleted",
                "first_payment_at",
                "last_payment_at",
                "livemode",
                "updated_at",
            ],
        )
        for index, (stripe_id, created, _, _, _, deleted) in enumerate(self.customer_rows):
            user_id, email, name, country, address = self.customer_extra[index]
            first, last = self.payment_span.get(index, (None, None))
            customers.add(
                stripe_id,
                user_id,
                email,
                name,
                country,
                address["line1"],
                "",
                address["city"],
                "",
                address["postal_code"],
                created,
                deleted,
                first,
                last,
                False,
                self.now,
            )
            customers.maybe_flush(cursor)
        customers.flush(cursor)
        methods = CopyBuffer(
            "dim_payment_method",
            [
                "stripe_id",
                "customer_id",
                "type",
                "card_brand",
                "card_funding",
                "card_last4",
                "card_exp_month",
                "card_exp_year",
                "card_fingerprint",
                "card_country",
                "wallet",
                "created",
                "detached",
                "livemode",
                "updated_at",
            ],
        )
        for pm_id, customer_id, card, created in self.pm_rows:
            methods.add(
                pm_id,
                customer_id,
                "card",
                card["brand"],
                card["funding"],
                card["last4"],
                card["exp_month"],
                card["exp_year"],
                card["fingerprint"],
                card["country"],
                (card["wallet"] or {}).get("type", ""),
                created,
                False,
                False,
                self.now,
            )
            methods.maybe_flush(cursor)
        methods.flush(cursor)
        self.counts["dim_customer"] = customers.total
        self.counts["dim_payment_method"] = methods.total

    # --- installs ---------------------------------------------------------------------
    def installs(self, cursor):
        rng, args = self.rng, self.args
        cursor.execute("truncate dim_channel, dim_client restart identity cascade")
        channel_sk = {}
        for name, group, label, _ in CHANNELS[: args.channels]:
            cursor.execute(
                "insert into dim_channel (channel_name, channel_group, channel_label) "
                "values (%s, %s, %s) returning channel_sk",
                [name, group, label],
            )
            channel_sk[name] = cursor.fetchone()[0]
        clients = []
        for os_name, devices in DEVICES.items():
            for device in devices:
                for version in APP_VERSIONS:
                    cursor.execute(
                        "insert into dim_client (os_name, app_name, app_version, device_name) "
                        "values (%s, %s, %s, %s) returning client_sk",
                        [os_name, business.APP_NAME, version, device],
                    )
                    clients.append((os_name, cursor.fetchone()[0]))
        android = [sk for os_name, sk in clients if os_name == "Android"]
        ios = [sk for os_name, sk in clients if os_name == "iOS"]
        channels = [(channel_sk[c[0]], c[3]) for c in CHANNELS[: args.channels]]
        fact_fields = [f for f in INSTALL_FIELDS[4:] if f not in CLIENT_FIELDS + CHANNEL_FIELDS]
        install = CopyBuffer(
            "fact_install",
            [*INSTALL_FIELDS[:4], "date_sk", "client_id", "channel_id", *fact_fields],
        )
        users = max(args.customers, int(args.installs * 0.8))
        span = (self.end - self.start).total_seconds()
        previous = None
        for number in range(1, args.installs + 1):
            if previous and rng.random() < 0.02:
                user_number, installed_at = (
                    previous[0],
                    previous[1] + dt.timedelta(minutes=rng.randint(5, 600)),
                )  # same-day reinstall: a duplicate install
            else:
                user_number = rng.randint(1, users)
                if user_number <= len(self.customer_rows):
                    signup = self.customer_rows[user_number - 1][1]
                    installed_at = signup - dt.timedelta(minutes=rng.randint(5, 3 * 24 * 60))
                else:
                    installed_at = self.start + dt.timedelta(seconds=int(rng.random() * span))
            installed_at = min(installed_at, self.end)
            previous = (user_number, installed_at)
            client_sk = rng.choice(android if rng.random() < 0.55 else ios)
            channel = rng.choices([c[0] for c in channels], weights=[c[1] for c in channels])[0]
            install.add(
                f"ins_bench{number:09d}",
                f"u{user_number:08d}",
                f"dev{rng.getrandbits(40):010x}",
                installed_at,
                self._date_sk(installed_at),
                client_sk,
                channel,
                *attribution_fields(rng),
            )
            install.maybe_flush(cursor)
        install.flush(cursor)
        self.counts["fact_install"] = install.total
        self.counts["dim_channel"] = len(channel_sk)
        self.counts["dim_client"] = len(clients)


def _truncate(cursor, tables):
    cursor.execute(f"truncate {', '.join(tables)} restart identity cascade")


def _fast_copy_session(cursor) -> str:
    """Skip FK triggers while loading (the generated rows are consistent by construction)."""
    try:
        cursor.execute("savepoint fast_copy")
        cursor.execute("set local session_replication_role = replica")
        cursor.execute("release savepoint fast_copy")
        return "FK triggers off (session_replication_role = replica)"
    except Exception:
        cursor.execute("rollback to savepoint fast_copy")
        return "FK checks deferred to commit (not a superuser)"


def _drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the indexes that back no constraint; return their definitions to recreate.

    Building an index once after a bulk load is several times cheaper than maintaining it
    row by row (djstripe_charge alone has 16 secondary indexes). Keys and unique constraints
    stay, so the load still rejects duplicates.
    """
    cursor.execute(
        """
        select index.indexname, index.indexdef
        from pg_indexes as index
        where
            index.schemaname = current_schema()
            and index.tablename = any(%s)
            and not exists (select 1 from pg_constraint as c where c.conname = index.indexname)
        """,
        [tables],
    )
    definitions = cursor.fetchall()
    for name, _ in definitions:
        cursor.execute(f'drop index "{name}"')
    return [definition for _, definition in definitions]


def _recreate_indexes(cursor, definitions: list[str]) -> None:
    cursor.execute("set local maintenance_work_mem = '256MB'")
    for definition in definitions:
        cursor.execute(definition)


BULK_TABLES = [
    *BILLING_TABLES,
    "djstripe_charge",
    "djstripe_balancetransaction",
    "djstripe_refund",
    "djstripe_dispute",
    "fact_transaction",
]


def generate(args) -> dict:
    from django.db import connection, transaction

    from warehouse.services import ensure_dim_dates, refresh_customer_months
    from warehouse.services.installs import refresh_install_aggregates
    from warehouse.services.subscriptions import rebuild_subscriptions

    generator = Generator(args)
    timings = {}
    started = time.perf_counter()

    def step(name, function, *extra):
        step_started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # the psycopg2 cursor: copy_expert
            mode = _fast_copy_session(cursor)
            function(cursor, *extra)
        timings[name] = time.perf_counter() - step_started
        print(f"  {timings[name]:7.1f} s  {name}  [{mode}]", flush=True)
        if name.startswith("charges") and "recreate indexes" in timings:
            copy_seconds = sum(generator.copy_seconds.values())
            print(
                f"            of which {copy_seconds:.1f} s in COPY, "
                f"{timings['recreate indexes']:.1f} s recreating indexes, the rest generating "
                "rows in Python",
                flush=True,
            )

    print(
        f"generating {args.customers:,} customers, {args.charges:,} charges, "
        f"~{args.subscriptions:,} subscriptions over {args.months} "
        f"months up to {generator.end:%Y-%m-%d %H:%M} UTC, {args.installs:,} installs over "
        f"{args.channels} channels (seed {args.seed})",
        flush=True,
    )
    step(
        "truncate",
        lambda cursor: _truncate(
            cursor, WAREHOUSE_TABLES + DJSTRIPE_TABLES + DJSTRIPE_EVENT_TABLES
        ),
    )
    step(
        "dim_date",
        lambda cursor: ensure_dim_dates(
            (generator.start - dt.timedelta(days=40)).date(),
            (generator.end + dt.timedelta(days=2)).date(),
        ),
    )
    step("djstripe customers + payment methods", generator.customers)

    # One transaction: fact_transaction references dim_customer, whose payment times come
    # from the charges (FK checks are deferred to commit when they cannot be switched off).
    def charges_and_dimensions(cursor):
        definitions = _drop_secondary_indexes(cursor, BULK_TABLES)
        generator.charges(cursor)
        write_subscriptions(generator, cursor, args.subscriptions, CopyBuffer)
        generator.warehouse_dimensions(cursor)
        index_started = time.perf_counter()
        _recreate_indexes(cursor, definitions)
        timings["recreate indexes"] = time.perf_counter() - index_started

    step(
        "charges, refunds, disputes, balance transactions, subscriptions, invoices, "
        "fact_transaction, dim_customer, dim_payment_method (secondary indexes rebuilt after)",
        charges_and_dimensions,
    )
    step_started = time.perf_counter()
    refresh_customer_months()
    timings["fact_customer_month"] = time.perf_counter() - step_started
    print(
        f"  {timings['fact_customer_month']:7.1f} s  fact_customer_month "
        "(warehouse.services.refresh_customer_months)",
        flush=True,
    )
    step_started = time.perf_counter()
    mrr_rows = rebuild_subscriptions()  # the subscriptions were copied in around the write path
    timings["mrr"] = time.perf_counter() - step_started
    with connection.cursor() as cursor:
        for table in ("fact_invoice_line", "fact_mrr_change", "fact_mrr_movement"):
            cursor.execute(f"select count(*) from {table}")
            generator.counts[table] = cursor.fetchone()[0]
    print(
        f"  {timings['mrr']:7.1f} s  dim_product/price/coupon ({mrr_rows}), fact_invoice_line, "
        "fact_mrr_change, fact_mrr_movement, MRR marts "
        "(warehouse.services.subscriptions.rebuild_subscriptions)",
        flush=True,
    )
    step("installs + dim_client/dim_channel", generator.installs)
    step_started = time.perf_counter()
    refresh_install_aggregates()  # the installs were copied in around the write path
    timings["install aggregates"] = time.perf_counter() - step_started
    print(
        f"  {timings['install aggregates']:7.1f} s  fact_user_acquisition, fact_install_day "
        "(warehouse.services.installs.refresh_install_aggregates)",
        flush=True,
    )
    step_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("analyze")
    timings["analyze"] = time.perf_counter() - step_started
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from fact_customer_month")
        generator.counts["fact_customer_month"] = cursor.fetchone()[0]
    total = time.perf_counter() - started
    print(
        f"generated in {total:.1f} s: "
        + ", ".join(f"{table} {count:,}" for table, count in generator.counts.items()),
        flush=True,
    )
    return {
        "seconds": total,
        "steps": timings,
        "rows": generator.counts,
        "end": generator.end.isoformat(),
        "start": generator.start.isoformat(),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--charges", type=int, default=1_000_000, help="charge attempts")
    parser.add_argument(
        "--subscriptions",
        type=int,
        default=100_000,
        help="about this many subscriptions (whole customer lives), with their invoices",
    )
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--installs", type=int, default=500_000)
    parser.add_argument("--channels", type=int, default=8, choices=range(1, len(CHANNELS) + 1))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--end",
        type=dt.datetime.fromisoformat,
        default=None,
        help="last moment of the data (ISO 8601 with offset); default now",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    setup()
    generate(args)


if __name__ == "__main__":
    main()
