"""Demo data at a small size makes every report page non-empty, with numbers that match the
generated Stripe objects (worked out here in plain Python, independently of the warehouse)."""

import collections
import datetime as dt
from io import StringIO

import pytest
import stripe
from django.core.management import call_command
from django.urls import reverse

from devtools.demo.generator import DemoConfig, generate
from devtools.demo.setup import ensure_demo_users

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["reports:home", "reports:overview", "reports:ltv", "reports:cohorts", "reports:channels"]


@pytest.fixture
def demo_business():
    """A small business whose history ends now, so the pages' default ranges show it."""
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    options = {"users": 150, "months": 12, "seed": 257}
    previous_base, stripe.api_base = stripe.api_base, "http://127.0.0.1:9"  # no Stripe call
    try:
        call_command(
            "load_demo_data",
            *[f"--{k}={v}" for k, v in options.items()],
            f"--end={end.isoformat()}",
            "--workers=2",
            stdout=StringIO(),
        )
    finally:
        stripe.api_base = previous_base
    return generate(DemoConfig(end=end, **options))


@pytest.fixture
def manager_client(client):
    ensure_demo_users()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="manager"))
    return client


def _month(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().replace(day=1)


def expected_by_month(business):
    """Net revenue, gross and paying customers per month, from the generated objects."""
    net, gross, paying = collections.Counter(), collections.Counter(), collections.defaultdict(set)
    for customer in business.customers:
        for charge in customer.charges:
            if charge["status"] == "succeeded":
                month = _month(charge["created"])
                gross[month] += charge["balance_transaction"]["amount"]
                net[month] += charge["balance_transaction"]["amount"]
                paying[month].add(customer.customer["id"])
            for refund in charge["refunds"]["data"]:
                net[_month(refund["created"])] += refund["balance_transaction"]["amount"]
        for dispute in customer.disputes:
            for bt in dispute["balance_transactions"]:
                net[_month(bt["created"])] += bt["amount"]
    return net, gross, {month: len(ids) for month, ids in paying.items()}


def _months_back(months: int) -> dt.date:
    month = dt.date.today().replace(day=1)
    for _ in range(months):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def _paid_months(customer) -> set:
    return {_month(c["created"]) for c in customer.charges if c["status"] == "succeeded"}


# The cohorts page follows the range's first month by default; a small business may have no
# first payment in it, so the page is asked to follow a recent month instead.
FOLLOWED = {"cohort": _months_back(3).strftime("%Y-%m")}


def test_every_report_page_has_data(demo_business, manager_client):
    for name in PAGES:
        response = manager_client.get(reverse(name), FOLLOWED if name == "reports:cohorts" else {})
        assert response.status_code == 200, name
        tables = response.context["tables"]
        assert tables, name
        empty = [t.name for t in tables if not t.rows]
        assert not empty, f"{name}: empty tables {empty}"
        csv_body = manager_client.get(reverse(name), {"export": tables[0].name}).content.decode()
        assert len(csv_body.splitlines()) > 1, name


def test_overview_and_monthly_numbers_match_the_generated_business(demo_business, manager_client):
    net, gross, paying = expected_by_month(demo_business)

    overview = manager_client.get(reverse("reports:overview")).context
    money = next(t for t in overview["tables"] if t.name == "money")
    assert len(money.rows) == 12
    for row in money.rows:
        assert row["net_revenue"] == net.get(row["month"], 0), row["month"]
        assert row["gross"] == gross.get(row["month"], 0), row["month"]
        assert row["paying_customers"] == paying.get(row["month"], 0), row["month"]

    monthly = next(
        t
        for t in manager_client.get(reverse("reports:ltv")).context["tables"]
        if t.name == "monthly"
    )
    assert monthly.rows
    for row in monthly.rows:
        assert row["net_revenue"] == net[row["month"]], row["month"]
        assert row["paying_customers"] == paying.get(row["month"], 0), row["month"]


def test_channel_funnel_matches_the_generated_installs_and_payers(demo_business, manager_client):
    first_install = {}
    for row in sorted(demo_business.installs, key=lambda r: (r["installed_at"], r["install_id"])):
        first_install.setdefault(row["user_id"], row)
    start = min(row["installed_at"] for row in first_install.values())[:10]
    # Customers whose trial never converted have no payment: not payers.
    paying_users = {c.user_id for c in demo_business.customers if _paid_months(c)}
    expected_installs = collections.Counter(row["channel_name"] for row in first_install.values())
    expected_payers = collections.Counter(
        row["channel_name"] for user, row in first_install.items() if user in paying_users
    )

    response = manager_client.get(
        reverse("reports:channels"), {"start": start, "end": dt.date.today().isoformat()}
    )
    funnel = next(t for t in response.context["tables"] if t.name == "funnel")

    rows = {row["channel_name"]: row for row in funnel.rows}
    assert {
        name: row["installs"] for name, row in rows.items() if row["installs"]
    } == expected_installs
    assert {
        name: row["paying_customers"] for name, row in rows.items() if row["paying_customers"]
    } == expected_payers


def test_following_a_cohort_matches_the_generated_customers(demo_business, manager_client):
    cohort = _months_back(3)
    members = [c for c in demo_business.customers if min(_paid_months(c), default=None) == cohort]
    assert members  # precondition: the small business has first payments in that month

    follow = next(
        t
        for t in manager_client.get(reverse("reports:cohorts"), FOLLOWED).context["tables"]
        if t.name == "follow_cohort"
    )

    rows = {row["month"]: row for row in follow.rows}
    assert rows[cohort]["followed_customers"] == len(members)
    for month, row in rows.items():
        assert row["paying_customers"] == sum(month in _paid_months(c) for c in members), month
