"""The synthetic business's events: who installs, who pays, when, how much, in which
currency, and what becomes of each payment (refunded, disputed, won or lost).

`BusinessGenerator` draws them from the model (devtools/business/model.py) with one seeded
random generator and hands out plain records (below): no Stripe shapes, no SQL. The
emitters render them: devtools/business/stripe_objects.py as Stripe's API objects (the demo
syncs those through dj-stripe's `sync_from_stripe_data`), devtools/business/copy_rows.py as
the rows dj-stripe and the warehouse store (the benchmark writes those by COPY). Each
caller asks for what it needs, one user or customer at a time, so a caller that writes as
it goes keeps its memory flat however large the business.

Subscriptions are not drawn here: a customer's subscription life is scripted by
devtools/billing/demo.py and simulated by devtools/billing (the Billing engine), whose
charges come back here for their refunds and disputes (`charge_outcome`). To grow the
business, add the decision here and its rendering to both emitters.
"""

import datetime as dt
import hashlib
import math
import random
import string
import unicodedata
import uuid
from dataclasses import dataclass

from devtools.business.model import (
    APP_NAME,
    CARD_BRANDS,
    CHANNELS,
    COUNTRIES,
    DECLINES,
    DEVICES,
    FIRST_NAMES,
    LAST_NAMES,
    OS_SHARE,
    PRICES,
    SETTLEMENT_CURRENCY,
    Channel,
    pick,
    settlement_minor,
    stripe_fee,
    usd_rate,
)

# Shares of the decisions below (per user, customer or charge).
SAME_DAY_REINSTALL = 0.05  # a user reinstalls on the same day, same device
SECOND_DEVICE = 0.04  # a user installs on a second device (or the web app) later on
REFUND = 0.03  # a succeeded charge is refunded ...
PARTIAL_REFUND = 0.35  # ... partly
DISPUTE = 0.002  # a succeeded charge is disputed
ONE_OFF_FAILURE = 0.06  # a one-off charge is declined
ONE_OFF_EXTRA = 0.2  # a one-off charge is an extra (a coaching session), not the monthly price


@dataclass(slots=True)
class User:
    number: int
    user_id: str
    channel: Channel
    country: str
    os_name: str
    installed_at: dt.datetime


@dataclass(slots=True)
class Install:
    """One app install: the install row format's fields (warehouse/install_format.py)."""

    install_id: str
    user_id: str
    device_id: str
    installed_at: dt.datetime
    os_name: str
    app_name: str
    app_version: str
    device_name: str
    channel: Channel
    country_code: str
    campaign_name: str
    adgroup_name: str
    creative_name: str
    campaign_id: str
    adgroup_id: str
    creative_id: str
    ip_address: str


@dataclass(slots=True)
class Customer:
    id: str
    user: User
    created: dt.datetime
    currency: str
    first_name: str
    last_name: str
    city: str
    state: str
    postal_code: str
    line1: str
    invoice_prefix: str
    email: str
    deleted: bool = False


@dataclass(slots=True)
class Card:
    id: str
    customer_id: str
    created: dt.datetime
    brand: str
    country: str
    wallet: str | None  # "apple_pay", "google_pay" or None
    dynamic_last4: str | None
    exp_month: int
    exp_year: int
    fingerprint: str
    funding: str
    last4: str


@dataclass(slots=True)
class Movement:
    """A balance transaction: money in or out of the account, settled in USD."""

    id: str
    amount: int  # in the charge's currency (negative: out)
    currency: str
    moment: dt.datetime
    settled: int  # in minor units of the settlement currency
    rate: float | None  # None when no conversion
    fee: int


@dataclass(slots=True)
class Charge:
    """A one-off card payment (not an invoice's: those come from the Billing engine)."""

    id: str
    customer: Customer
    card: Card
    moment: dt.datetime
    amount: int
    currency: str
    failure: tuple[str, str] | None  # (code, message) when declined
    movement: Movement | None  # None when declined


@dataclass(slots=True)
class Refund:
    id: str
    charge_id: str
    moment: dt.datetime
    amount: int
    reason: str
    movement: Movement


@dataclass(slots=True)
class Dispute:
    id: str
    charge_id: str
    amount: int
    currency: str
    opened: dt.datetime
    status: str  # won, lost, needs_response, under_review
    reason: str
    withdrawal: Movement
    reinstatement: Movement | None  # when won


class RandomIds:
    """Stripe-looking ids, deterministic for a seed (never the same across seeds): the demo."""

    alphabet = string.ascii_letters + string.digits

    def __init__(self, seed: int):
        self.rng = random.Random(f"ids-{seed}")

    def stripe(self, prefix: str) -> str:
        return prefix + "_" + "".join(self.rng.choices(self.alphabet, k=24))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


class SerialIds:
    """Numbered ids (`ch_bench00000001`, `ins_bench000000001`): cheap at millions of rows, and
    apart from any other data's ids (the benchmark)."""

    def __init__(self, tag: str = "bench"):
        self.tag = tag
        self.serials: dict[str, int] = {}

    def stripe(self, prefix: str) -> str:
        number = self.serials[prefix] = self.serials.get(prefix, 0) + 1
        return f"{prefix}_{self.tag}{number:08d}"

    def uuid(self) -> str:
        number = self.serials["uuid"] = self.serials.get("uuid", 0) + 1
        return f"{self.tag}-{number:012d}"


class BusinessGenerator:
    """The business between `start` and `end`, drawn from `seed`.

    Callers ask for one thing at a time, in their own order: `user(n)` (a user with their
    installs), `first_payment(user)`, `customer(user, at)`, `card(customer, at)`,
    `one_off_charges(...)` and `charge_outcome(...)`. The same calls in the same order give
    the same business.
    """

    def __init__(self, *, seed, start, end, ids, months: int, channels=CHANNELS):
        self.seed = seed
        self.rng = random.Random(seed)
        self.ids = ids
        self.start, self.end, self.months = start, end, months
        self.decided_disputes = 0
        self.forced_same_day = 0
        self.yesterday = (end - dt.timedelta(days=1)).date()
        self._channels = [(c, c.weight) for c in channels]
        self._countries = [(code, country[0]) for code, country in COUNTRIES.items()]

    # --- money -------------------------------------------------------------------------
    def usd_rate(self, currency: str, moment: dt.datetime) -> float:
        return usd_rate(currency, moment, self.start)

    def movement(self, amount: int, currency: str, moment: dt.datetime, fee: int) -> Movement:
        """A balance transaction for `amount` of `currency`, settled at the day's rate."""
        if currency == SETTLEMENT_CURRENCY:
            settled, rate = amount, None
        else:
            rate = self.usd_rate(currency, moment)
            settled = settlement_minor(amount, currency, rate)
        return Movement(self.ids.stripe("txn"), amount, currency, moment, settled, rate, fee)

    # --- users and installs ------------------------------------------------------------
    def install_moment(self) -> dt.datetime:
        # Inverse-CDF sampling of an exponential growth of ~4 % a month over the period.
        span = (self.end - self.start).total_seconds()
        growth = math.log(1.04) * self.months
        fraction = math.log1p(self.rng.random() * (math.exp(growth) - 1)) / growth
        return self.start + dt.timedelta(seconds=int(fraction * span))

    def user(self, number: int) -> tuple[User, list[Install]]:
        """User `number` (from 1) and their installs: a first one, and sometimes a same-day
        reinstall (a duplicate install) or a second device later on."""
        rng = self.rng
        user = User(
            number=number,
            user_id=f"user_{number:06d}",
            channel=pick(rng, self._channels),
            country=pick(rng, self._countries),
            os_name=pick(rng, OS_SHARE),
            installed_at=self.install_moment(),
        )
        moment = user.installed_at
        first = self.install(user, moment, user.os_name)
        installs = [first]
        roll = rng.random()
        # Keep a few same-day reinstalls on the last full day, so "yesterday" has some.
        if moment.date() == self.yesterday and self.forced_same_day < 3:
            roll, self.forced_same_day = 0.0, self.forced_same_day + 1
        if roll < SAME_DAY_REINSTALL:
            later = min(moment + dt.timedelta(minutes=rng.randrange(5, 600)), self.end)
            if later.date() == moment.date():
                installs.append(self.install(user, later, user.os_name, first.device_id))
        elif roll < SAME_DAY_REINSTALL + SECOND_DEVICE:
            later = moment + dt.timedelta(days=rng.randrange(1, 120))
            if later < self.end:
                installs.append(self.install(user, later, rng.choice(["iOS", "Android", "Web"])))
        return user, installs

    def install(self, user: User, moment, os_name: str, device_id=None, rng=None) -> Install:
        rng = rng or self.rng
        channel = user.channel
        months_in = max(0, (moment.year - self.start.year) * 12 + moment.month - self.start.month)
        campaign = rng.choice(channel.campaigns) if channel.campaigns else ""
        install_id = self.ids.uuid()
        device_id = device_id or self.ids.uuid()
        app_version = f"3.{months_in // 2}.{rng.randrange(0, 3)}"
        device_name = rng.choice(DEVICES[os_name])
        if campaign:
            adgroup_name = f"{campaign}_{user.country.lower()}"
            creative_name = f"{campaign}_v{rng.randrange(1, 4)}"
            campaign_id = str(10_000 + channel.campaigns.index(campaign))
            adgroup_id = str(rng.randrange(20_000, 20_050))
            creative_id = str(rng.randrange(30_000, 30_200))
        else:
            adgroup_name = creative_name = campaign_id = adgroup_id = creative_id = ""
        return Install(
            install_id=install_id,
            user_id=user.user_id,
            device_id=device_id,
            installed_at=moment,
            os_name=os_name,
            app_name=APP_NAME if os_name != "Web" else f"{APP_NAME} Web",
            app_version=app_version,
            device_name=device_name,
            channel=channel,
            country_code=user.country,
            campaign_name=campaign,
            adgroup_name=adgroup_name,
            creative_name=creative_name,
            campaign_id=campaign_id,
            adgroup_id=adgroup_id,
            creative_id=creative_id,
            ip_address=self.ip_address(rng),
        )

    @staticmethod
    def ip_address(rng) -> str:
        # Documentation ranges (RFC 5737 / RFC 3849): never a real person's address.
        if rng.random() < 0.15:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        prefix = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
        return f"{prefix}.{rng.randrange(1, 255)}"

    def yesterday_reinstalls(self, users, installs, wanted: int = 3) -> list[Install]:
        """A few earlier users reinstalling twice on the last full day, so that the duplicate-
        install report has something for "yesterday" whatever the size (given every user and
        install so far). Own random stream: the rest of the business does not change."""
        rng = random.Random(f"yesterday-{self.seed}")
        start_of_yesterday = dt.datetime.combine(self.yesterday, dt.time(), tzinfo=dt.UTC)
        per_user_day: dict[tuple, int] = {}
        for install in installs:
            key = (install.user_id, install.installed_at.date())
            per_user_day[key] = per_user_day.get(key, 0) + 1
        have = sum(
            1 for (_, day), count in per_user_day.items() if count > 1 and day == self.yesterday
        )
        earlier = [u for u in users if u.installed_at < start_of_yesterday]
        extra = []
        for user in earlier[::-1][: max(0, wanted - have)]:
            device_id = self.ids.uuid()
            for _ in range(2):
                moment = start_of_yesterday + dt.timedelta(seconds=rng.randrange(86400))
                extra.append(self.install(user, moment, user.os_name, device_id, rng=rng))
        return extra

    # --- customers and cards -----------------------------------------------------------
    def first_payment(self, user: User) -> dt.datetime | None:
        """When the user first pays (their channel's conversion; a few days after the
        install), or None when they never do (within the period)."""
        if self.rng.random() >= user.channel.conversion:
            return None
        first_payment = user.installed_at + dt.timedelta(hours=self.rng.expovariate(1 / 96) + 0.2)
        return first_payment if first_payment < self.end else None

    def customer(self, user: User, first_payment: dt.datetime, deleted_share=0.0) -> Customer:
        """The Stripe customer of a user, created minutes before their first payment."""
        rng = self.rng
        created = first_payment - dt.timedelta(minutes=rng.randrange(2, 30))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, postal_code = rng.choice(COUNTRIES[user.country][2])
        customer_id = self.ids.stripe("cus")
        line1 = f"{rng.randrange(1, 200)} Demo Street"
        invoice_prefix = "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
        # "García" -> "garcia": decompose the accents, then keep the ASCII letters.
        email_local = (
            unicodedata.normalize("NFKD", f"{first}.{last}".lower())
            .encode("ascii", "ignore")
            .decode()
        )
        return Customer(
            id=customer_id,
            user=user,
            created=created,
            currency=COUNTRIES[user.country][1],
            first_name=first,
            last_name=last,
            city=city,
            state=state,
            postal_code=postal_code,
            line1=line1,
            invoice_prefix=invoice_prefix,
            email=f"{email_local}.{user.user_id.split('_')[1]}@example.com",
            deleted=bool(deleted_share) and rng.random() < deleted_share,
        )

    def card(self, customer: Customer, created: dt.datetime) -> Card:
        rng, user = self.rng, customer.user
        brand = pick(rng, CARD_BRANDS.get(user.country, CARD_BRANDS["default"]))
        wallet = dynamic_last4 = None
        if user.os_name == "iOS" and rng.random() < 0.35:
            wallet, dynamic_last4 = "apple_pay", f"{rng.randrange(10000):04d}"
        elif user.os_name == "Android" and rng.random() < 0.25:
            wallet, dynamic_last4 = "google_pay", f"{rng.randrange(10000):04d}"
        fingerprint = hashlib.sha1(f"{self.seed}-{customer.id}-{created}".encode()).hexdigest()
        return Card(
            id=self.ids.stripe("pm"),
            customer_id=customer.id,
            created=created,
            brand=brand,
            country=user.country,
            wallet=wallet,
            dynamic_last4=dynamic_last4,
            exp_month=rng.randrange(1, 13),
            exp_year=created.year + rng.randrange(1, 6),
            fingerprint=fingerprint[:16],
            funding=pick(rng, [("credit", 0.62), ("debit", 0.35), ("prepaid", 0.03)]),
            last4=f"{rng.randrange(10000):04d}",
        )

    def cards(self, customer: Customer) -> list[Card]:
        """A customer's cards at signup: one, or two for one in ten."""
        count = 2 if self.rng.random() < 0.1 else 1
        return [self.card(customer, customer.created) for _ in range(count)]

    # --- one-off payments --------------------------------------------------------------
    def paying_months(self, customer: Customer, first_payment: dt.datetime) -> list[dt.datetime]:
        """The monthly moments a customer pays without a subscription, from the first
        payment: churn decays with tenure (their channel's), some come back after a gap."""
        rng, channel = self.rng, customer.user.channel
        moments, month, tenure = [], 0, 0
        while True:
            moment = first_payment + dt.timedelta(days=30.44 * month)
            if moment >= self.end:
                return moments
            moments.append(moment)
            tenure += 1
            churn = channel.first_month_churn * (0.3 + 0.7 * math.exp(-(tenure - 1) / 2.5))
            if rng.random() >= churn:
                month += 1
            elif rng.random() < 0.3:  # lapses, then comes back
                month += rng.randint(2, 5)
            else:
                return moments

    def one_off_charges(self, customer: Customer, cards: list[Card], months, count: int):
        """`count` one-off charges spread over the customer's paying `months` (several in a
        month when there are more charges than months): the price of their tier most
        often, now and then an extra; a few declined. Yields Charge records, in time order."""
        rng = self.rng
        currency = customer.currency
        tier = 1 if rng.random() < customer.user.channel.premium_share else 0
        price, extra = PRICES[currency][tier], PRICES[currency][0] * 2
        if count <= len(months):
            chosen = sorted(rng.sample(range(len(months)), count))
        else:
            chosen = sorted(
                [*range(len(months)), *rng.choices(range(len(months)), k=count - len(months))]
            )
        latest = self.end - dt.timedelta(minutes=1)
        foreign = currency != SETTLEMENT_CURRENCY
        for index in chosen:
            moment = min(
                months[index] + dt.timedelta(minutes=rng.randrange(0, 3 * 24 * 60)), latest
            )
            amount = price if rng.random() >= ONE_OFF_EXTRA else extra
            card = cards[0] if len(cards) == 1 else rng.choice(cards)
            charge_id = self.ids.stripe("ch")
            if rng.random() < ONE_OFF_FAILURE:
                code, message, _ = DECLINES[pick(rng, [(i, d[2]) for i, d in enumerate(DECLINES)])]
                yield Charge(
                    charge_id, customer, card, moment, amount, currency, (code, message), None
                )
                continue
            movement = self.movement(amount, currency, moment, 0)
            movement.fee = stripe_fee(movement.settled, foreign)
            yield Charge(charge_id, customer, card, moment, amount, currency, None, movement)

    # --- what becomes of a succeeded charge --------------------------------------------
    def charge_outcome(self, charge_id: str, amount: int, currency: str, moment: dt.datetime):
        """A Refund, a Dispute or None for a succeeded charge: about 3 % refunded (a third
        of those partly), a few disputed; two in five decided disputes won."""
        rng = self.rng
        roll = rng.random()
        if roll < REFUND:
            refunded_at = moment + dt.timedelta(
                days=rng.randrange(0, 14), hours=rng.randrange(1, 20)
            )
            if refunded_at < self.end:
                partial = rng.random() < PARTIAL_REFUND
                refund_amount = max(1, round(amount * rng.uniform(0.2, 0.7))) if partial else amount
                refund_id = self.ids.stripe("re")
                movement = self.movement(-refund_amount, currency, refunded_at, 0)
                reason = rng.choice(["requested_by_customer", "requested_by_customer", "duplicate"])
                return Refund(refund_id, charge_id, refunded_at, refund_amount, reason, movement)
        elif roll < REFUND + DISPUTE:
            opened = moment + dt.timedelta(days=rng.randrange(7, 45))
            if opened < self.end:
                return self.dispute(charge_id, amount, currency, opened)
        return None

    def dispute(self, charge_id: str, amount: int, currency: str, opened: dt.datetime):
        rng = self.rng
        dispute_id = self.ids.stripe("dp")
        decided = opened + dt.timedelta(days=rng.randrange(20, 60))
        if decided <= self.end:
            # Two in five won, in turn rather than at random: even a small business has both.
            self.decided_disputes += 1
            status = "won" if self.decided_disputes % 5 in (1, 3) else "lost"
        else:
            status, decided = rng.choice(["needs_response", "under_review"]), None
        withdrawal = self.movement(-amount, currency, opened, 1500)
        reinstatement = self.movement(amount, currency, decided, -1500) if status == "won" else None
        reason = rng.choice(["fraudulent", "product_not_received", "subscription_canceled"])
        return Dispute(
            dispute_id,
            charge_id,
            amount,
            currency,
            opened,
            status,
            reason,
            withdrawal,
            reinstatement,
        )
