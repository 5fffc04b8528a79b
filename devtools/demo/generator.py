"""A believable subscription app, generated deterministically from a seed.

Pure Python: no database, no network. `generate(DemoConfig(...))` returns the app installs
(rows in the install file format of the README) and, per customer, the Stripe objects
exactly as Stripe's API would return them with `balance_transaction` and refunds expanded:
a customer, its card payment methods, its subscriptions and what they bill (discounts,
invoices, invoice items, payment intents, charges) and its disputes; and the catalog
(products, prices, coupons). Same seed and end date, same business, same ids.

The shape of the business:
- installs grow about 4 % a month over the period, across 8 channels in 6 channel groups,
  from iOS, Android and web clients; about 9 % of users install more than once (a same-day
  reinstall or a second device later);
- about a third of users become customers (a few never pay: their trial does not convert);
  conversion, retention and price tier depend on the channel, so the channel funnel and
  the cohort matrix differ by channel;
- each customer subscribes in the currency of their country (EUR, USD, GBP or the
  zero-decimal JPY) to a monthly, quarterly or yearly plan of the Basic or Premium tier,
  through Stripe Billing simulated by `devtools.billing` (API version
  2026-05-27.dahlia): trials, coupons, prorated upgrades and downgrades, quantity changes,
  cancellations, failed renewals, second subscriptions and reactivations (see
  devtools/billing/demo.py); the customer's objects include its subscriptions,
  discounts, invoices (with their lines and payments), invoice items and payment intents;
- the account settles everything in USD at a drifting exchange rate, with Stripe's fee
  (2.9 % + 30 ¢, plus 1.5 % for foreign cards) on each balance transaction;
- churn decays with tenure, about 3 % of succeeded charges are refunded (a third of them
  partially), and a few are disputed, won or lost.
"""

import collections
import datetime as dt
import hashlib
import math
import random
import string
import unicodedata
import uuid
from dataclasses import dataclass, field

from devtools.billing.demo import CustomerProfile, DemoCatalog, subscription_life
from devtools.billing.engine import BillingSimulator, add_months
from devtools.business import (
    APP_NAME,
    CARD_BRANDS,
    CHANNELS,
    COUNTRIES,
    DEVICES,
    FIRST_NAMES,
    LAST_NAMES,
    OS_SHARE,
    SETTLEMENT_CURRENCY,
    USD_RATES,
    pick,
    settlement_minor,
    ts,
)
from warehouse.install_format import INSTALL_FIELDS  # noqa: F401  (the demo's row keys)

DEFAULT_SEED = 20240601
DEFAULT_USERS = 5000
DEFAULT_MONTHS = 18
USER_ID_METADATA_KEY = "user_id"


@dataclass(frozen=True)
class DemoConfig:
    users: int = DEFAULT_USERS
    months: int = DEFAULT_MONTHS
    seed: int = DEFAULT_SEED
    end: dt.datetime | None = None  # history ends here (default: now, UTC)
    user_id_metadata_key: str = USER_ID_METADATA_KEY

    def end_moment(self) -> dt.datetime:
        end = self.end or dt.datetime.now(dt.UTC)
        return end.astimezone(dt.UTC).replace(microsecond=0)


@dataclass
class DemoCustomer:
    """One customer's Stripe objects, in the order they are synced."""

    user_id: str
    channel: str
    customer: dict
    payment_methods: list = field(default_factory=list)
    subscriptions: list = field(default_factory=list)
    discounts: list = field(default_factory=list)
    payment_intents: list = field(default_factory=list)
    charges: list = field(default_factory=list)
    disputes: list = field(default_factory=list)
    invoices: list = field(default_factory=list)  # as retrieved: discounts expanded
    invoiceitems: list = field(default_factory=list)


@dataclass
class DemoBusiness:
    config: DemoConfig
    installs: list  # dicts with INSTALL_FIELDS keys (strings)
    customers: list  # DemoCustomer
    catalog: dict = field(default_factory=dict)  # products, prices, coupons
    events: list = field(default_factory=list)  # the simulated Billing events, if recorded

    @property
    def charge_count(self) -> int:
        return sum(len(c.charges) for c in self.customers)

    @property
    def subscription_count(self) -> int:
        return sum(len(c.subscriptions) for c in self.customers)

    @property
    def invoice_count(self) -> int:
        return sum(len(c.invoices) for c in self.customers)

    def balance_transactions(self):
        """Every balance transaction of the business (charges, refunds, disputes)."""
        for customer in self.customers:
            for charge in customer.charges:
                if charge["balance_transaction"]:
                    yield charge["balance_transaction"]
                for refund in charge["refunds"]["data"]:
                    yield refund["balance_transaction"]
            for dispute in customer.disputes:
                yield from dispute["balance_transactions"]


class _Ids:
    """Stripe-looking ids, deterministic for a seed (never the same across seeds)."""

    alphabet = string.ascii_letters + string.digits

    def __init__(self, seed: int):
        self.rng = random.Random(f"ids-{seed}")

    def stripe(self, prefix: str) -> str:
        return prefix + "_" + "".join(self.rng.choices(self.alphabet, k=24))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


class _Generator:
    def __init__(self, config: DemoConfig):
        self.config = config
        self.rng = random.Random(config.seed)
        self.ids = _Ids(config.seed)
        self.end = config.end_moment()
        self.start = add_months(self.end, -config.months, self.end.day)
        self.decided_disputes = 0
        self.billing = BillingSimulator(
            seed=config.seed,
            usd_rate=lambda currency, moment: self.usd_rate(
                currency, dt.datetime.fromtimestamp(moment, dt.UTC)
            ),
            record_events=False,
            charge_description="Stridely subscription",
        )
        self.catalog = DemoCatalog.create(self.billing, self.start - dt.timedelta(days=30))
        self.cards: dict[str, dict] = {}

    # --- money -------------------------------------------------------------------------
    def usd_rate(self, currency: str, moment: dt.datetime) -> float:
        base = USD_RATES[currency]
        if currency == SETTLEMENT_CURRENCY:
            return 1.0
        phase = {"eur": 0.0, "gbp": 1.7, "jpy": 3.1}.get(currency, 0.5)
        days = (moment - self.start).total_seconds() / 86400
        return round(base * (1 + 0.035 * math.sin(2 * math.pi * days / 365 + phase)), 6)

    def settle(self, amount: int, currency: str, moment: dt.datetime) -> tuple[int, float | None]:
        """Amount in USD cents for `amount` minor units of `currency`, and the rate used."""
        if currency == SETTLEMENT_CURRENCY:
            return amount, None
        rate = self.usd_rate(currency, moment)
        return settlement_minor(amount, currency, rate), rate

    def balance_transaction(
        self, *, amount, currency, moment, source, bt_type, category, fee, description
    ):
        settled, rate = self.settle(amount, currency, moment)
        fee_details = []
        if fee:
            fee_details.append(
                {
                    "amount": fee,
                    "application": None,
                    "currency": SETTLEMENT_CURRENCY,
                    "description": "Stripe processing fees"
                    if bt_type == "charge"
                    else "Dispute fee",
                    "type": "stripe_fee",
                }
            )
        return {
            "id": self.ids.stripe("txn"),
            "object": "balance_transaction",
            "amount": settled,
            "available_on": ts(moment + dt.timedelta(days=2)),
            "created": ts(moment),
            "currency": SETTLEMENT_CURRENCY,
            "description": description,
            "exchange_rate": rate,
            "fee": fee,
            "fee_details": fee_details,
            "net": settled - fee,
            "reporting_category": category,
            "source": source,
            "status": "available" if moment + dt.timedelta(days=2) <= self.end else "pending",
            "type": bt_type,
        }

    # --- installs ----------------------------------------------------------------------
    def install_moment(self) -> dt.datetime:
        # Inverse-CDF sampling of an exponential growth of ~4 % a month over the period.
        span = (self.end - self.start).total_seconds()
        growth = math.log(1.04) * self.config.months
        u = self.rng.random()
        fraction = math.log1p(u * (math.exp(growth) - 1)) / growth
        return self.start + dt.timedelta(seconds=int(fraction * span))

    def ip_address(self, rng) -> str:
        # Documentation ranges (RFC 5737 / RFC 3849): never a real person's address.
        if rng.random() < 0.15:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        prefix = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
        return f"{prefix}.{rng.randrange(1, 255)}"

    def install_row(self, user, moment, os_name, device_id=None, rng=None) -> dict:
        rng = rng or self.rng
        channel = user["channel"]
        months_in = max(0, (moment.year - self.start.year) * 12 + moment.month - self.start.month)
        campaign = rng.choice(channel.campaigns) if channel.campaigns else ""
        row = {
            "install_id": self.ids.uuid(),
            "user_id": user["user_id"],
            "device_id": device_id or self.ids.uuid(),
            "installed_at": moment.isoformat(),
            "os_name": os_name,
            "app_name": APP_NAME if os_name != "Web" else f"{APP_NAME} Web",
            "app_version": f"3.{months_in // 2}.{rng.randrange(0, 3)}",
            "device_name": rng.choice(DEVICES[os_name]),
            "channel_name": channel.name,
            "channel_group": channel.group,
            "channel_label": channel.label,
            "country_code": user["country"],
            "network_name": channel.network,
            "campaign_name": campaign,
            "adgroup_name": f"{campaign}_{user['country'].lower()}" if campaign else "",
            "creative_name": f"{campaign}_v{rng.randrange(1, 4)}" if campaign else "",
            "campaign_id": str(10_000 + channel.campaigns.index(campaign)) if campaign else "",
            "adgroup_id": str(rng.randrange(20_000, 20_050)) if campaign else "",
            "creative_id": str(rng.randrange(30_000, 30_200)) if campaign else "",
            "ip_address": self.ip_address(rng),
        }
        return row

    def users_and_installs(self):
        users, installs = [], []
        yesterday = (self.end - dt.timedelta(days=1)).date()
        forced_same_day = 0
        for n in range(1, self.config.users + 1):
            channel = pick(self.rng, [(c, c.weight) for c in CHANNELS])
            country = pick(self.rng, [(k, v[0]) for k, v in COUNTRIES.items()])
            os_name = pick(self.rng, OS_SHARE)
            moment = self.install_moment()
            user = {
                "user_id": f"user_{n:06d}",
                "channel": channel,
                "country": country,
                "os_name": os_name,
                "installed_at": moment,
            }
            users.append(user)
            first = self.install_row(user, moment, os_name)
            installs.append(first)
            roll = self.rng.random()
            # Keep a few same-day reinstalls on the last full day, so "yesterday" has some.
            if moment.date() == yesterday and forced_same_day < 3:
                roll, forced_same_day = 0.0, forced_same_day + 1
            if roll < 0.05:  # reinstall on the same day, same device
                later = min(moment + dt.timedelta(minutes=self.rng.randrange(5, 600)), self.end)
                if later.date() == moment.date():
                    installs.append(self.install_row(user, later, os_name, first["device_id"]))
            elif roll < 0.09:  # a second device (or the web app) later on
                later = moment + dt.timedelta(days=self.rng.randrange(1, 120))
                if later < self.end:
                    other_os = self.rng.choice(["iOS", "Android", "Web"])
                    installs.append(self.install_row(user, later, other_os))
        self.reinstalls_yesterday(users, installs)
        installs.sort(key=lambda row: row["installed_at"])
        return users, installs

    def reinstalls_yesterday(self, users, installs, wanted: int = 3) -> None:
        """A few earlier users reinstalling twice on the last full day, so that the duplicate-
        install report has something for "yesterday" whatever the size. Own random stream: the
        rest of the business does not change with it."""
        rng = random.Random(f"yesterday-{self.config.seed}")
        yesterday = (self.end - dt.timedelta(days=1)).date()
        start_of_yesterday = dt.datetime.combine(yesterday, dt.time(), tzinfo=dt.UTC)
        per_user_day = collections.Counter(
            (row["user_id"], row["installed_at"][:10]) for row in installs
        )
        have = sum(
            1
            for (_, day), count in per_user_day.items()
            if count > 1 and day == yesterday.isoformat()
        )
        earlier = [u for u in users if u["installed_at"] < start_of_yesterday]
        for user in earlier[::-1][: max(0, wanted - have)]:
            device_id = self.ids.uuid()
            for _ in range(2):
                moment = start_of_yesterday + dt.timedelta(seconds=rng.randrange(86400))
                installs.append(self.install_row(user, moment, user["os_name"], device_id, rng=rng))

    # --- Stripe objects ----------------------------------------------------------------
    def customer_object(self, user, created: dt.datetime) -> dict:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        city, state, postal_code = self.rng.choice(COUNTRIES[user["country"]][2])
        number = user["user_id"].split("_")[1]
        # "García" -> "garcia": decompose the accents, then keep the ASCII letters.
        email_local = (
            unicodedata.normalize("NFKD", f"{first}.{last}".lower())
            .encode("ascii", "ignore")
            .decode()
        )
        return {
            "id": self.ids.stripe("cus"),
            "object": "customer",
            "address": {
                "city": city,
                "country": user["country"],
                "line1": f"{self.rng.randrange(1, 200)} Demo Street",
                "line2": None,
                "postal_code": postal_code,
                "state": state or None,
            },
            "balance": 0,
            "created": ts(created),
            "currency": COUNTRIES[user["country"]][1],
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": f"{email_local}.{number}@example.com",
            "invoice_prefix": "".join(
                self.rng.choices(string.ascii_uppercase + string.digits, k=8)
            ),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": {
                self.config.user_id_metadata_key: user["user_id"],
                "source": "stripe_dwh demo",
            },
            "name": f"{first} {last}",
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }

    def payment_method_object(self, customer: dict, user, created: dt.datetime) -> dict:
        country = user["country"]
        brand = pick(self.rng, CARD_BRANDS.get(country, CARD_BRANDS["default"]))
        wallet = None
        if user["os_name"] == "iOS" and self.rng.random() < 0.35:
            wallet = {
                "apple_pay": {},
                "dynamic_last4": f"{self.rng.randrange(10000):04d}",
                "type": "apple_pay",
            }
        elif user["os_name"] == "Android" and self.rng.random() < 0.25:
            wallet = {
                "google_pay": {},
                "dynamic_last4": f"{self.rng.randrange(10000):04d}",
                "type": "google_pay",
            }
        fingerprint = hashlib.sha1(
            f"{self.config.seed}-{customer['id']}-{created}".encode()
        ).hexdigest()[:16]
        return {
            "id": self.ids.stripe("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": customer["address"],
                "email": customer["email"],
                "name": customer["name"],
                "phone": None,
            },
            "card": {
                "brand": brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": "pass",
                    "cvc_check": "pass",
                },
                "country": country,
                "display_brand": brand,
                "exp_month": self.rng.randrange(1, 13),
                "exp_year": created.year + self.rng.randrange(1, 6),
                "fingerprint": fingerprint,
                "funding": pick(self.rng, [("credit", 0.62), ("debit", 0.35), ("prepaid", 0.03)]),
                "generated_from": None,
                "last4": f"{self.rng.randrange(10000):04d}",
                "networks": {"available": [brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": wallet,
            },
            "created": ts(created),
            "customer": customer["id"],
            "livemode": False,
            "metadata": {},
            "type": "card",
        }

    def refund(self, charge, moment, amount):
        refund_id = self.ids.stripe("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": self.balance_transaction(
                amount=-amount,
                currency=charge["currency"],
                moment=moment,
                source=refund_id,
                bt_type="refund",
                category="refund",
                fee=0,
                description="REFUND FOR CHARGE",
            ),
            "charge": charge["id"],
            "created": ts(moment),
            "currency": charge["currency"],
            "metadata": {},
            "payment_intent": None,
            "reason": self.rng.choice(
                ["requested_by_customer", "requested_by_customer", "duplicate"]
            ),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        charge["refunds"]["data"].append(refund)
        charge["refunds"]["total_count"] += 1
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]

    def dispute(self, charge, opened: dt.datetime) -> dict:
        dispute_id = self.ids.stripe("dp")
        currency, amount = charge["currency"], charge["amount"]
        decided = opened + dt.timedelta(days=self.rng.randrange(20, 60))
        if decided <= self.end:
            # Two in five won, in turn rather than at random: even a small business has both.
            self.decided_disputes += 1
            status = "won" if self.decided_disputes % 5 in (1, 3) else "lost"
        else:
            status, decided = self.rng.choice(["needs_response", "under_review"]), None
        transactions = [
            self.balance_transaction(
                amount=-amount,
                currency=currency,
                moment=opened,
                source=dispute_id,
                bt_type="adjustment",
                category="dispute",
                fee=1500,
                description=f"Chargeback withdrawal for {charge['id']}",
            )
        ]
        if status == "won":
            transactions.append(
                self.balance_transaction(
                    amount=amount,
                    currency=currency,
                    moment=decided,
                    source=dispute_id,
                    bt_type="adjustment",
                    category="dispute_reversal",
                    fee=-1500,
                    description=f"Chargeback reversal for {charge['id']}",
                )
            )
        charge["disputed"] = True
        charge["dispute"] = dispute_id
        return {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "balance_transactions": transactions,
            "charge": charge["id"],
            "created": ts(opened),
            "currency": currency,
            "evidence": {
                "customer_email_address": charge["receipt_email"],
                "uncategorized_text": None,
            },
            "evidence_details": {
                "due_by": ts(opened + dt.timedelta(days=21)),
                "has_evidence": status in ("won", "lost", "under_review"),
                "past_due": False,
                "submission_count": 1 if status != "needs_response" else 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": None,
            "reason": self.rng.choice(
                ["fraudulent", "product_not_received", "subscription_canceled"]
            ),
            "status": status,
        }

    def paying_history(self, user) -> DemoCustomer | None:
        channel = user["channel"]
        if self.rng.random() >= channel.conversion:
            return None
        first_payment = user["installed_at"] + dt.timedelta(
            hours=self.rng.expovariate(1 / 96) + 0.2
        )
        if first_payment >= self.end:
            return None
        customer = self.customer_object(
            user, first_payment - dt.timedelta(minutes=self.rng.randrange(2, 30))
        )
        result = DemoCustomer(user_id=user["user_id"], channel=channel.name, customer=customer)

        def new_card(moment: dt.datetime) -> str:
            card = self.payment_method_object(customer, user, moment)
            result.payment_methods.append(card)
            self.cards[card["id"]] = card
            return card["id"]

        sim = self.billing
        before = {name: len(getattr(sim, name)) for name in _BILLING_COLLECTIONS}
        profile = CustomerProfile(
            customer_id=customer["id"],
            currency=COUNTRIES[user["country"]][1],
            channel=channel.name,
            premium_share=channel.premium_share,
            first_month_churn=channel.first_month_churn,
        )
        subscription_life(sim, self.catalog, self.rng, profile, first_payment, self.end, new_card)
        new = {
            name: list(getattr(sim, name).values())[before[name] :] for name in _BILLING_COLLECTIONS
        }
        result.subscriptions = [sim.render_subscription(s) for s in new["subscriptions"]]
        result.discounts = new["discounts"]
        result.payment_intents = new["payment_intents"]
        result.invoices = [sim.expanded_invoice(i) for i in new["invoices"]]
        result.invoiceitems = new["invoiceitems"]
        for charge in new["charges"]:
            self.decorate_charge(charge, customer)
            result.charges.append(charge)
            if charge["status"] == "succeeded":
                self.refund_or_dispute(result, charge)
        return result

    def decorate_charge(self, charge: dict, customer: dict) -> None:
        """The card details Stripe copies onto each charge of an invoice payment."""
        card = self.cards[charge["payment_method"]]["card"]
        charge["billing_details"] = self.cards[charge["payment_method"]]["billing_details"]
        charge["calculated_statement_descriptor"] = "STRIDELY"
        charge["receipt_email"] = customer["email"]
        charge["payment_method_details"] = {
            "card": {
                "brand": card["brand"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "network": card["brand"],
                "wallet": card["wallet"],
            },
            "type": "card",
        }

    def refund_or_dispute(self, result: DemoCustomer, charge: dict) -> None:
        moment = dt.datetime.fromtimestamp(charge["created"], dt.UTC)
        amount = charge["amount"]
        roll = self.rng.random()
        if roll < 0.03:
            refunded_at = moment + dt.timedelta(
                days=self.rng.randrange(0, 14), hours=self.rng.randrange(1, 20)
            )
            if refunded_at < self.end:
                partial = self.rng.random() < 0.35
                refund_amount = (
                    max(1, round(amount * self.rng.uniform(0.2, 0.7))) if partial else amount
                )
                self.refund(charge, refunded_at, refund_amount)
                charge["refunds"]["data"][-1]["payment_intent"] = charge["payment_intent"]
        elif roll < 0.032:
            opened = moment + dt.timedelta(days=self.rng.randrange(7, 45))
            if opened < self.end:
                result.disputes.append(self.dispute(charge, opened))

    def business(self) -> DemoBusiness:
        users, installs = self.users_and_installs()
        customers = [c for c in (self.paying_history(u) for u in users) if c is not None]
        catalog = {
            "products": list(self.billing.products.values()),
            "prices": list(self.billing.prices.values()),
            "coupons": list(self.billing.coupons.values()),
        }
        return DemoBusiness(
            config=self.config, installs=installs, customers=customers, catalog=catalog
        )


# What the simulator creates per customer (collected after each customer's life).
_BILLING_COLLECTIONS = (
    "subscriptions",
    "discounts",
    "payment_intents",
    "charges",
    "invoices",
    "invoiceitems",
)


def generate(config: DemoConfig | None = None) -> DemoBusiness:
    """The demo business for a configuration (deterministic for a seed and end moment)."""
    return _Generator(config or DemoConfig()).business()
