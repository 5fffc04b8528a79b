"""The demo business generator: deterministic, and shaped like the issue asks (no database)."""

import collections
import datetime as dt
import itertools
from functools import cache

from devtools.demo.generator import INSTALL_FIELDS, DemoConfig, generate

END = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


@cache
def default_business():
    return generate(DemoConfig(end=END))


def all_charges(business):
    return [charge for customer in business.customers for charge in customer.charges]


def test_same_seed_and_end_give_the_same_business_and_another_seed_another():
    first = generate(DemoConfig(users=200, seed=11, end=END))
    again = generate(DemoConfig(users=200, seed=11, end=END))
    other = generate(DemoConfig(users=200, seed=12, end=END))

    assert [c.customer for c in first.customers] == [c.customer for c in again.customers]
    assert all_charges(first) == all_charges(again)
    assert first.installs == again.installs
    first_ids = {c["id"] for c in all_charges(first)}
    assert first_ids.isdisjoint(c["id"] for c in all_charges(other))


def test_installs_cover_the_period_channels_clients_and_duplicates():
    business = default_business()
    installs = business.installs
    users = {row["user_id"] for row in installs}

    assert len(users) == 5000
    assert all(set(row) == set(INSTALL_FIELDS) for row in installs)
    assert len({row["channel_name"] for row in installs}) >= 6
    assert {"organic", "paid_search", "paid_social", "influencer", "referral"} <= {
        row["channel_group"] for row in installs
    }
    assert {row["os_name"] for row in installs} == {"iOS", "Android", "Web"}
    installed = [dt.datetime.fromisoformat(row["installed_at"]) for row in installs]
    assert min(installed) >= END - dt.timedelta(days=18 * 31)
    assert max(installed) <= END
    per_user_day = collections.Counter(
        (row["user_id"], row["installed_at"][:10]) for row in installs
    )
    same_day_duplicates = [key for key, count in per_user_day.items() if count > 1]
    assert same_day_duplicates
    yesterday = (END - dt.timedelta(days=1)).date().isoformat()
    assert any(day == yesterday for _, day in same_day_duplicates)
    assert len(installs) > len(users)


def test_about_a_third_pay_with_cards_of_several_brands_and_their_user_id():
    business = default_business()
    customers = business.customers

    assert 1400 <= len(customers) <= 2000
    assert {c.customer["metadata"]["user_id"] for c in customers} == {c.user_id for c in customers}
    installed_users = {row["user_id"] for row in business.installs}
    assert {c.user_id for c in customers} <= installed_users
    brands = collections.Counter(pm["card"]["brand"] for c in customers for pm in c.payment_methods)
    assert len(brands) >= 4
    assert all(pm["customer"] == c.customer["id"] for c in customers for pm in c.payment_methods)


def test_failures_refunds_disputes_and_currencies_in_the_asked_proportions():
    business = default_business()
    charges = all_charges(business)
    succeeded = [c for c in charges if c["status"] == "succeeded"]
    failed = [c for c in charges if c["status"] == "failed"]
    refunded = [c for c in succeeded if c["refunds"]["data"]]
    partial = [c for c in refunded if c["amount_refunded"] < c["amount"]]
    disputes = [d for c in business.customers for d in c.disputes]

    assert 0.035 <= len(failed) / len(charges) <= 0.065
    assert all(c["balance_transaction"] is None and c["failure_code"] for c in failed)
    assert 0.02 <= len(refunded) / len(succeeded) <= 0.04
    assert 0 < len(partial) < len(refunded)
    assert 3 <= len(disputes) <= 40
    assert {"won", "lost"} <= {d["status"] for d in disputes}
    assert {c["currency"] for c in charges} == {"eur", "usd", "gbp", "jpy"}


def test_every_movement_settles_in_usd_at_the_rate_it_states():
    business = default_business()
    movements = list(business.balance_transactions())

    assert {bt["currency"] for bt in movements} == {"usd"}
    for charge in all_charges(business):
        bt = charge["balance_transaction"]
        if bt is None:
            continue
        assert (
            bt["source"] == charge["id"] and bt["net"] == bt["amount"] - bt["fee"] and bt["fee"] > 0
        )
        if charge["currency"] == "usd":
            assert bt["amount"] == charge["amount"] and bt["exchange_rate"] is None
        else:
            # JPY has no minor unit: 1,200 JPY is 1,200 units, not 12.00.
            major = charge["amount"] / (1 if charge["currency"] == "jpy" else 100)
            assert bt["amount"] == round(major * bt["exchange_rate"] * 100)
    jpy = next(  # a monthly plan's full price (other charges are prorated or discounted)
        c
        for c in all_charges(business)
        if c["currency"] == "jpy" and c["balance_transaction"] and c["amount"] in (1200, 2400)
    )
    assert 500 <= jpy["balance_transaction"]["amount"] <= 2000  # 1,200 or 2,400 JPY ≈ $8 or $16


def test_retention_decays_and_some_customers_come_back():
    business = default_business()
    paid_months_by_tenure = collections.Counter()
    returning = 0
    for customer in business.customers:
        months = sorted(
            {
                (
                    dt.datetime.fromtimestamp(c["created"], dt.UTC).year * 12
                    + dt.datetime.fromtimestamp(c["created"], dt.UTC).month
                )
                for c in customer.charges
                if c["status"] == "succeeded"
            }
        )
        for month in months:
            paid_months_by_tenure[month - months[0]] += 1
        returning += any(b - a > 1 for a, b in itertools.pairwise(months))

    assert paid_months_by_tenure[1] < paid_months_by_tenure[0]
    assert paid_months_by_tenure[6] < paid_months_by_tenure[1]
    assert returning >= 20
