"""The MRR test cases of issue 13, built with tests/warehouse/billing.py on one timeline.

Each case is one customer (two for the second-subscription and reactivation stories), so
the tests can check its movements by hand as well as against the oracle.
"""

import datetime as dt

from tests.warehouse.billing import Billing


def at(year, month, day, hour=12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def build() -> tuple[Billing, dict[str, str]]:
    """Every case on one Billing; returns it and {case name: customer id}."""
    b = Billing(prefix="Mrr")
    b.exchange_rate("jpy", "0.0067")
    b.exchange_rate("eur", "1.08")
    basic = b.product("Basic")
    pro = b.product("Pro")
    basic_month = b.price(basic, 2000)
    pro_month = b.price(pro, 5000)
    basic_year = b.price(basic, 120000, interval="year")
    basic_quarter = b.price(basic, 30000, interval="month", interval_count=3)
    basic_week = b.price(basic, 1000, interval="week")
    basic_jpy = b.price(basic, 1500, currency="jpy")
    basic_eur = b.price(basic, 1850, currency="eur")
    metered = b.price(basic, 10, usage_type="metered")
    half_off_twice = b.coupon(percent_off=50, duration="repeating", duration_in_months=2)
    five_off_forever = b.coupon(amount_off=500, currency="usd", duration="forever")
    cases = {}

    def case(name):
        customer = b.customer(f"{name}@example.com")
        cases[name] = customer["id"]
        return customer

    sub = b.subscribe(case("annual"), [(basic_year, 1)], at(2025, 1, 10))
    b.renew(sub)

    sub = b.subscribe(case("quarterly"), [(basic_quarter, 1)], at(2025, 1, 5))
    for _ in range(3):
        b.renew(sub)

    sub = b.subscribe(case("weekly"), [(basic_week, 1)], at(2025, 2, 3))
    for _ in range(6):
        b.renew(sub)

    sub = b.subscribe(case("quantity"), [(basic_month, 1)], at(2025, 1, 1))
    b.change(sub, at(2025, 1, 15), quantity=3)
    for _ in range(2):
        b.renew(sub)

    # two expansions in one month: one customer, counted once in the month's expansion
    # customers (mart_mrr_day's month_first_customers), on the first of the two days
    sub = b.subscribe(case("two_expansions"), [(basic_month, 1)], at(2025, 5, 1))
    b.change(sub, at(2025, 5, 10), quantity=2, invoice_now=True)
    b.change(sub, at(2025, 5, 20), quantity=3, invoice_now=True)
    b.renew(sub)

    sub = b.subscribe(
        case("coupon_expires"), [(basic_month, 2)], at(2025, 1, 8), coupon=half_off_twice
    )
    for _ in range(3):
        b.renew(sub)

    sub = b.subscribe(
        case("amount_coupon"), [(basic_month, 1)], at(2025, 3, 1), coupon=five_off_forever
    )
    b.renew(sub)

    sub = b.subscribe(case("trial_converts"), [(basic_month, 1)], at(2025, 2, 1), trial_days=7)
    for _ in range(2):
        b.renew(sub)

    sub = b.subscribe(case("trial_lapses"), [(basic_month, 1)], at(2025, 2, 1), trial_days=7)
    b.mark(sub, "canceled", at(2025, 2, 8))

    sub = b.subscribe(case("cancel_period_end"), [(basic_month, 1)], at(2025, 1, 20))
    b.renew(sub)
    b.cancel(sub, at(2025, 3, 1), at_period_end=True)
    b.end_at_period_end(sub)

    sub = b.subscribe(case("cancel_now"), [(basic_month, 1)], at(2025, 1, 20))
    b.renew(sub)
    b.cancel(sub, at(2025, 3, 1))

    sub = b.subscribe(case("upgrade_downgrade"), [(basic_month, 1)], at(2025, 1, 1))
    b.change(sub, at(2025, 1, 16), price=pro_month)
    b.renew(sub)
    b.change(sub, at(2025, 2, 10), price=basic_month, invoice_now=True)
    b.renew(sub)

    customer = case("two_subscriptions")
    first = b.subscribe(customer, [(basic_month, 1)], at(2025, 1, 3))
    second = b.subscribe(customer, [(pro_month, 1)], at(2025, 2, 14))
    b.renew(first)
    b.renew(second)
    b.renew(first)
    b.cancel(second, at(2025, 3, 20))

    customer = case("reactivation")
    sub = b.subscribe(customer, [(basic_month, 1)], at(2025, 1, 12))
    b.cancel(sub, at(2025, 1, 30))
    sub = b.subscribe(customer, [(pro_month, 1)], at(2025, 4, 2))
    b.renew(sub)

    sub = b.subscribe(case("past_due_recovers"), [(basic_month, 1)], at(2025, 1, 6))
    b.renew(sub, pay=at(2025, 2, 16))
    b.renew(sub)

    sub = b.subscribe(case("past_due_churns"), [(basic_month, 1)], at(2025, 1, 6))
    b.renew(sub, pay=False)
    b.mark(sub, "canceled", at(2025, 3, 20))

    sub = b.subscribe(case("paid_after_grace"), [(basic_month, 1)], at(2025, 1, 6))
    b.renew(sub, pay=at(2025, 3, 15))

    sub = b.subscribe(case("jpy"), [(basic_jpy, 1)], at(2025, 1, 9))
    b.renew(sub)
    b.exchange_rate("jpy", "0.0071")  # the next renewal settles at another rate: no movement
    b.renew(sub)

    sub = b.subscribe(case("eur_fx"), [(basic_eur, 1)], at(2025, 1, 9))
    b.exchange_rate("eur", "1.11")
    b.renew(sub)
    b.change(sub, at(2025, 2, 20), quantity=2, invoice_now=True)

    customer = case("refunded")
    sub = b.subscribe(customer, [(basic_month, 1)], at(2025, 1, 14))
    first_charge = next(c for c in b.charges.values() if c["customer"] == customer["id"])
    b.refund(first_charge, at(2025, 1, 20))
    b.renew(sub)

    sub = b.subscribe(case("metered_only"), [(metered, 1)], at(2025, 1, 2))

    sub = b.subscribe(case("item_removed"), [(basic_month, 1), (pro_month, 1)], at(2025, 1, 2))
    b.remove_item(sub, 1, at(2025, 1, 22))
    b.renew(sub)

    # prorations under a 20 % forever coupon, half-way through a 30-day April: the discount
    # folded into the proration's amount (Stripe's default, `included`) or itemized on it
    twenty_off_forever = b.coupon(percent_off=20, duration="forever")
    for form in ("included", "itemized"):
        sub = b.subscribe(
            case(f"upgrade_discount_{form}"),
            [(basic_month, 1)],
            at(2025, 4, 1),
            coupon=twenty_off_forever,
            proration_discounts=form,
        )
        b.change(sub, at(2025, 4, 16), price=pro_month)
        b.renew(sub)
        sub = b.subscribe(
            case(f"quantity_discount_{form}"),
            [(basic_month, 1)],
            at(2025, 4, 1),
            coupon=twenty_off_forever,
            proration_discounts=form,
        )
        b.change(sub, at(2025, 4, 16), quantity=3, invoice_now=True)
        b.renew(sub)
    return b, cases
