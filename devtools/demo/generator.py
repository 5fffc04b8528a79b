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

import datetime as dt
from dataclasses import dataclass, field

from devtools.billing.demo import CustomerProfile, DemoCatalog, subscription_life
from devtools.billing.engine import BillingSimulator, add_months
from devtools.business.generator import BusinessGenerator, RandomIds
from devtools.business.stripe_objects import (
    apply_outcome,
    customer_object,
    decorate_charge,
    install_row,
    payment_method_object,
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


class _Demo:
    """The demo's rendering of the business: every user, then each paying user's life."""

    def __init__(self, config: DemoConfig):
        self.config = config
        self.end = config.end_moment()
        self.start = add_months(self.end, -config.months, self.end.day)
        self.business = BusinessGenerator(
            seed=config.seed,
            start=self.start,
            end=self.end,
            ids=RandomIds(config.seed),
            months=config.months,
        )
        self.billing = BillingSimulator(
            seed=config.seed,
            usd_rate=lambda currency, moment: self.business.usd_rate(
                currency, dt.datetime.fromtimestamp(moment, dt.UTC)
            ),
            record_events=False,
            charge_description="Stridely subscription",
        )
        self.catalog = DemoCatalog.create(self.billing, self.start - dt.timedelta(days=30))
        self.cards: dict[str, dict] = {}

    def users_and_installs(self):
        users, installs = [], []
        for number in range(1, self.config.users + 1):
            user, user_installs = self.business.user(number)
            users.append(user)
            installs += user_installs
        installs += self.business.yesterday_reinstalls(users, installs)
        installs.sort(key=lambda install: install.installed_at)
        return users, [install_row(install) for install in installs]

    def paying_history(self, user) -> DemoCustomer | None:
        first_payment = self.business.first_payment(user)
        if first_payment is None:
            return None
        record = self.business.customer(user, first_payment)
        customer = customer_object(
            record, {self.config.user_id_metadata_key: user.user_id, "source": "stripe_dwh demo"}
        )
        result = DemoCustomer(user_id=user.user_id, channel=user.channel.name, customer=customer)

        def new_card(moment: dt.datetime) -> str:
            card = payment_method_object(self.business.card(record, moment), customer)
            result.payment_methods.append(card)
            self.cards[card["id"]] = card
            return card["id"]

        sim = self.billing
        before = {name: len(getattr(sim, name)) for name in _BILLING_COLLECTIONS}
        profile = CustomerProfile(
            customer_id=customer["id"],
            currency=customer["currency"],
            channel=user.channel.name,
            premium_share=user.channel.premium_share,
            first_month_churn=user.channel.first_month_churn,
        )
        subscription_life(
            sim, self.catalog, self.business.rng, profile, first_payment, self.end, new_card
        )
        new = {
            name: list(getattr(sim, name).values())[before[name] :] for name in _BILLING_COLLECTIONS
        }
        result.subscriptions = [sim.render_subscription(s) for s in new["subscriptions"]]
        result.discounts = new["discounts"]
        result.payment_intents = new["payment_intents"]
        result.invoices = [sim.expanded_invoice(i) for i in new["invoices"]]
        result.invoiceitems = [sim.expanded_invoiceitem(i) for i in new["invoiceitems"]]
        for charge in new["charges"]:
            decorate_charge(charge, self.cards[charge["payment_method"]], customer)
            result.charges.append(charge)
            if charge["status"] == "succeeded":
                outcome = self.business.charge_outcome(
                    charge["id"],
                    charge["amount"],
                    charge["currency"],
                    dt.datetime.fromtimestamp(charge["created"], dt.UTC),
                )
                dispute = apply_outcome(charge, outcome, self.end)
                if dispute:
                    result.disputes.append(dispute)
        return result

    def render(self) -> DemoBusiness:
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
    return _Demo(config or DemoConfig()).render()
