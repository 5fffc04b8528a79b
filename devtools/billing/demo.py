"""The demo business's subscriptions: its catalog, and one customer's subscription life.

Used by the demo generator (one `BillingSimulator` for the whole business). The catalog:
two tiers (Basic, Premium) × monthly, quarterly (10 % off) and yearly (20 % off) plans in
EUR, USD, GBP and JPY; a one-off coaching session and metered extra coaching minutes
(neither is MRR); a first-month coupon (50 % off once) and a friends coupon (10 % off
forever). A customer's life, decided month by month from a seeded random generator:
7-day trials (some not converting), upgrades and downgrades (prorated), quantity changes,
a switch to the yearly plan, failed renewals (most recovering; some ending canceled or
unpaid), cancellations at the period end or at once, second subscriptions (and cancelling
one of two), reactivations after churn, and a new card now and then.
"""

import datetime as dt
import math
from dataclasses import dataclass

from devtools.billing.engine import BillingSimulator, add_months
from devtools.business.model import PRICES, pick

# (basic, premium) monthly prices in minor units of each currency: the business's.
MONTHLY_PRICES = PRICES
PLANS = {  # plan: (interval, interval_count, months billed, discount on the monthly price)
    "monthly": ("month", 1, 1, 0),
    "quarterly": ("month", 3, 3, 10),
    "yearly": ("year", 1, 12, 20),
}
PLAN_SHARE = [("monthly", 0.72), ("quarterly", 0.13), ("yearly", 0.15)]
TIERS = ("basic", "premium")
TRIAL_DAYS = 7
# Channels whose users more often start with the first-month coupon or the friends coupon.
WELCOME_CHANNELS = {"facebook_ads", "tiktok_ads", "influencer"}
FRIENDS_CHANNELS = {"referral", "email"}


def _plan_amount(monthly: int, plan: str, currency: str) -> int:
    _, _, months, percent_off = PLANS[plan]
    amount = monthly * months * (100 - percent_off) // 100
    if currency == "jpy":
        return amount // 100 * 100
    return amount // 100 * 100 + 99  # a price ending in .99


@dataclass
class DemoCatalog:
    """Products, prices and coupons of the demo business, created in the simulator."""

    prices: dict  # (tier, plan, currency) -> price
    coaching: dict  # currency -> one-off price
    extra_minutes: dict  # currency -> metered price
    welcome: dict  # coupon: 50 % off, once
    friends: dict  # coupon: 10 % off, forever

    @classmethod
    def create(cls, sim: BillingSimulator, at) -> "DemoCatalog":
        basic = sim.product("Stridely Basic", at=at, metadata={"tier": "basic"})
        premium = sim.product("Stridely Premium", at=at, metadata={"tier": "premium"})
        coaching = sim.product("Coaching session", at=at)
        minutes = sim.product("Extra coaching minutes", at=at)
        prices = {}
        for currency, amounts in MONTHLY_PRICES.items():
            for tier, product, monthly in zip(TIERS, (basic, premium), amounts, strict=True):
                for plan, (interval, count, _, _) in PLANS.items():
                    prices[tier, plan, currency] = sim.price(
                        product,
                        _plan_amount(monthly, plan, currency) if plan != "monthly" else monthly,
                        currency,
                        interval=interval,
                        interval_count=count,
                        nickname=f"{tier} {plan}",
                        lookup_key=f"{tier}_{plan}_{currency}",
                        at=at,
                    )
        return cls(
            prices=prices,
            coaching={
                c: sim.price(coaching, a[0] * 2, c, interval=None, at=at)
                for c, a in MONTHLY_PRICES.items()
            },
            extra_minutes={
                c: sim.price(
                    minutes, max(1, a[0] // 100), c, usage_type="metered", interval="month", at=at
                )
                for c, a in MONTHLY_PRICES.items()
            },
            welcome=sim.coupon(
                percent_off=50, duration="once", name="Welcome: first month half price", at=at
            ),
            friends=sim.coupon(percent_off=10, duration="forever", name="Friends: 10 % off", at=at),
        )


@dataclass
class CustomerProfile:
    customer_id: str
    currency: str
    channel: str
    premium_share: float
    first_month_churn: float


def subscription_life(
    sim: BillingSimulator,
    catalog: DemoCatalog,
    rng,
    profile: CustomerProfile,
    start: dt.datetime,
    end: dt.datetime,
    new_card,
) -> None:
    """Script one customer's subscriptions from `start` (their first checkout) to `end`.

    `new_card(moment)` creates a card payment method for the customer and returns its id.
    The simulator is left advanced to `end` for this customer.
    """
    customer, currency = profile.customer_id, profile.currency
    card = new_card(start - dt.timedelta(minutes=1))
    tier = "premium" if rng.random() < profile.premium_share else "basic"
    plan = pick(rng, PLAN_SHARE)
    quantity = 1 if rng.random() < 0.9 else rng.choice((2, 3))
    trial = rng.random() < 0.35
    coupon = None
    if plan == "monthly" and profile.channel in WELCOME_CHANNELS and rng.random() < 0.5:
        coupon = catalog.welcome
    elif profile.channel in FRIENDS_CHANNELS and rng.random() < 0.6:
        coupon = catalog.friends
    items = [(catalog.prices[tier, plan, currency], quantity)]
    if plan == "monthly" and rng.random() < 0.03:  # extra coaching minutes, by usage
        items.append((catalog.extra_minutes[currency], rng.randrange(20, 200)))
    subs = [
        sim.subscribe(
            customer,
            items,
            at=start,
            trial_days=TRIAL_DAYS if trial else 0,
            coupon=coupon,
            payment_method=card,
            metadata={"plan": plan},
        )
    ]
    if trial and rng.random() < 0.2:  # the trial does not convert: no valid card at its end
        sim.fail_payment(subs[0], at=start, outcome="canceled", retry_days=())
    tenure = 0
    for month in range(1, 10_000):
        moment = add_months(start, month, start.day) - dt.timedelta(
            days=rng.randrange(2, 26), hours=rng.randrange(0, 24)
        )
        if moment >= end:
            break
        sim.advance(moment, customer)
        live = [s for s in subs if sim.subscriptions[s].status not in ("canceled", "unpaid")]
        going = [s for s in live if not sim.subscriptions[s].cancel_at_period_end]
        if not live:
            if rng.random() < 0.035:  # reactivation: a new subscription after churn
                tier, plan = rng.choice(TIERS), pick(rng, PLAN_SHARE)
                card = new_card(moment) if rng.random() < 0.5 else card
                subs.append(
                    sim.subscribe(
                        customer,
                        [(catalog.prices[tier, plan, currency], 1)],
                        at=moment,
                        payment_method=card,
                        metadata={"plan": plan, "reactivation": "true"},
                    )
                )
                tenure = max(1, tenure // 2)
            continue
        if not going:
            continue
        tenure += 1
        churn = profile.first_month_churn * (0.3 + 0.7 * math.exp(-(tenure - 1) / 2.5))
        if rng.random() < churn * _churn_factor(sim, going[0]):
            at_period_end = rng.random() < 0.65
            for sub in going:
                sim.cancel(sub, at=moment, at_period_end=at_period_end)
            continue
        sub = going[0]
        state = sim.subscriptions[sub]
        roll = rng.random()
        if roll < 0.03:  # the next renewal fails
            outcome = pick(rng, [("recover", 0.8), ("canceled", 0.15), ("unpaid", 0.05)])
            sim.fail_payment(sub, at=moment, outcome=outcome)
        elif state.status == "active" and roll < 0.06:  # upgrade or downgrade
            tier_now, plan_now = state.items[0]["price"]["nickname"].split()
            if tier_now == "basic" or rng.random() < 0.35:
                other = "premium" if tier_now == "basic" else "basic"
                sim.change_price(sub, at=moment, price=catalog.prices[other, plan_now, currency])
        elif state.status == "active" and roll < 0.08 and state.items[0]["quantity"]:
            quantity = max(1, state.items[0]["quantity"] + rng.choice((-1, 1, 1)))
            sim.change_quantity(sub, at=moment, quantity=quantity)
        elif state.status == "active" and roll < 0.09:  # to the yearly plan
            tier_now, plan_now = state.items[0]["price"]["nickname"].split()
            if plan_now == "monthly" and len(state.items) == 1:
                sim.change_price(sub, at=moment, price=catalog.prices[tier_now, "yearly", currency])
        elif roll < 0.1 and len(going) == 1:  # a second subscription (a family member)
            subs.append(
                sim.subscribe(
                    customer,
                    [(catalog.prices["basic", "monthly", currency], 1)],
                    at=moment,
                    payment_method=card,
                    metadata={"plan": "monthly", "second": "true"},
                )
            )
        elif roll < 0.16 and len(going) == 2:  # cancelling one of two
            sim.cancel(going[1], at=moment, at_period_end=rng.random() < 0.5)
        elif roll < 0.165:
            sim.add_invoice_item(sub, at=moment, price=catalog.coaching[currency])
        elif roll < 0.19:  # a new card (replaced after expiry or on a new phone)
            card = new_card(moment)
            for live_sub in going:
                sim.update_payment_method(live_sub, at=moment, payment_method=card)
    sim.advance(end, customer)


def _churn_factor(sim: BillingSimulator, sub_id: str) -> float:
    """Longer plans churn less per month (the commitment is longer)."""
    recurring = sim.subscriptions[sub_id].items[0]["price"]["recurring"]
    months = recurring["interval_count"] * (12 if recurring["interval"] == "year" else 1)
    return {1: 1.0, 3: 0.6}.get(months, 0.3)
