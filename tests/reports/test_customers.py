"""The managers' customer page and customer search, and the links that lead there (the LTV
customers table, the cohort heatmap cells and the retention tables), never to the admin."""

import datetime as dt
import json
import re

import pytest
from django.db import connection, transaction
from django.urls import reverse

from reports.managers import SQL_DIR, like_prefix
from tests.factories import DimChannelFactory, DimClientFactory, FactInstallFactory, utc
from tests.reports import payments_dataset
from tests.reports.payments_dataset import MOVEMENTS, Expected
from tests.reports.test_pages import page_table_keys, page_tables
from warehouse import sql_files
from warehouse.models import DimCustomer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(settings):
    ids = payments_dataset.build(settings)
    search = DimChannelFactory(channel_name="apple_search_ads", channel_label="Apple Search Ads")
    FactInstallFactory(
        user_id="user-ada",
        installed_at=utc(2024, 10, 30, 12),
        channel=search,
        client=DimClientFactory(os_name="iOS", app_version="3.1"),
    )
    FactInstallFactory(
        user_id="user-ada",
        installed_at=utc(2025, 2, 1, 12),
        channel=DimChannelFactory(channel_name="organic"),
        client=DimClientFactory(os_name="Android"),
    )
    return Expected(ids)


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.parametrize(
    "query,names",
    [
        ("ada@example", ["ada"]),
        ("EXAMPLE.COM", None),  # everyone: most net revenue first
        ("user-bob", ["bob"]),
        ("cus_gus", ["gus"]),
        ("user-bo", []),  # user ids and Stripe ids match exactly, emails by their beginning
        ("AD", ["ada"]),  # any case
        ("da@example", []),  # the beginning of the email or of its domain, not any part
        ("%", []),  # LIKE's wildcards are the characters themselves
        ("_da", []),
    ],
)
def test_search_by_email_user_id_or_stripe_id(manager_client, dataset, query, names):
    response = manager_client.get(reverse("reports:customers"), {"q": query})

    rows = page_tables(response)["customers"][1:]
    if names is None:
        total = {
            n: sum(v for (c, _), v in dataset.net.items() if c == n) for n in dataset.customers
        }
        names = sorted(dataset.customers, key=lambda n: (-total[n], f"{n}@example.com"))
    assert [row[1] for row in rows] == [f"{name}@example.com" for name in names]
    if not names:
        assert "No customer matches" in response.content.decode()


def test_search_by_the_beginning_of_a_name_or_of_an_email_domain(manager_client, dataset):
    DimCustomer.objects.filter(stripe_id=dataset.ids["bob"]).update(name="Bob Marley")
    DimCustomer.objects.filter(stripe_id=dataset.ids["gus"]).update(email="gus@Acme.example")

    def found(query):
        response = manager_client.get(reverse("reports:customers"), {"q": query})
        return [row[0] for row in page_tables(response)["customers"][1:]]

    assert found("bob m") == [dataset.ids["bob"]]
    assert found("marley") == []  # a name's beginning, as an email's
    assert found("acme.") == [dataset.ids["gus"]]


def test_the_search_is_an_index_range_not_a_scan_of_every_customer(dataset):
    """With sequential scans priced out, PostgreSQL reads dim_customer only through the search
    indexes: each condition of the search matches an index's expression and operator class."""
    params = {
        "search": "ada@example",
        "search_prefix": like_prefix("ada@example"),
        "cohort_month": None,
        "month": None,
        "row_limit": 50,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("set local enable_seqscan = off")
        cursor.execute("explain " + sql_files.load("customer_search", SQL_DIR), params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on dim_customer" not in plan
    for index in (
        "dim_customer_email_prefix",
        "dim_customer_domain_prefix",
        "dim_customer_name_prefix",
    ):
        assert index in plan, plan


def test_customer_page_shows_identity_channel_installs_movements_and_months(
    manager_client, dataset
):
    response = manager_client.get(reverse("reports:customer", args=[dataset.ids["ada"]]))

    assert response.status_code == 200
    tables = page_tables(response)
    identity = dict(zip(page_table_keys(response)["identity"], tables["identity"][1], strict=True))
    assert identity["email"] == "ada@example.com"
    assert identity["user_id"] == "user-ada"
    # the channel of the first install, by its label
    assert identity["channel_label"] == "Apple Search Ads"
    assert [row[1] for row in tables["installs"][1:]] == ["Apple Search Ads", "Organic"]
    ada = [m for m in MOVEMENTS if m.customer == "ada"]
    assert len(tables["transactions"]) - 1 == len(ada)
    kinds = sorted(row[1] for row in tables["transactions"][1:])
    assert kinds == sorted({"charge": "Payment", "refund": "Refund"}[m.kind] for m in ada)
    months = {row[0]: row[4] for row in tables["months"][1:]}
    for (name, month), net in dataset.net.items():
        if name == "ada":
            assert months[month.strftime("%Y-%m")] == f"{net / 100:,.2f}"
    # the CSV keeps the channel code beside its label
    export = manager_client.get(
        reverse("reports:customer", args=[dataset.ids["ada"]]), {"export": "identity"}
    )
    assert "apple_search_ads" in export.content.decode()


def test_unknown_customer_is_a_404(manager_client, dataset):
    assert manager_client.get(reverse("reports:customer", args=["cus_nobody"])).status_code == 404


def test_heatmap_cells_lead_to_the_cohorts_customers_paying_that_month(manager_client, dataset):
    response = manager_client.get(
        reverse("reports:cohorts"), {"start": "2024-01", "end": "2025-05", "cohort": "2025-01"}
    )
    spec = json.loads(
        re.search(
            r'<script id="cohort-heatmap" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        ).group(1)
    )
    heatmap = spec["data"][0]
    assert heatmap["texttemplate"]  # cells labelled with their values
    row = heatmap["y"].index("2024-11")
    column = heatmap["x"].index("+2")
    url = spec["links"][row][column]
    assert url == reverse("reports:customers") + "?cohort=2024-11&month=2025-01"

    listed = page_tables(manager_client.get(url))["customers"][1:]

    cohort = {n for n in dataset.customers if dataset.first_payment(n) == dt.date(2024, 11, 1)}
    paying = cohort & dataset.paying(dt.date(2025, 1, 1))
    assert sorted(row[1] for row in listed) == sorted(f"{n}@example.com" for n in paying)
    assert listed and all(
        href.startswith("/reports/customers/cus_")
        for href in links(manager_client.get(url).content.decode())
        if "/customers/cus_" in href
    )


def test_no_report_page_links_to_the_admin_for_a_manager(manager_client, dataset):
    pages = [
        (reverse("reports:home"), {}),
        (reverse("reports:ltv"), {"start": "2024-11", "end": "2025-05"}),
        (reverse("reports:cohorts"), {"start": "2024-01", "end": "2025-05"}),
        (reverse("reports:customer", args=[dataset.ids["ada"]]), {}),
        (reverse("reports:customers"), {"q": "example.com"}),
    ]
    for url, query in pages:
        html = manager_client.get(url, query).content.decode()
        assert not [href for href in links(html) if href.startswith("/admin")], url


def test_customer_page_lists_the_newest_transactions_and_the_csv_all(
    manager_client, dataset, monkeypatch
):
    """The page shows the newest TRANSACTIONS_SHOWN (its cost must not grow with the
    customer's history) and says so; the CSV holds every one."""
    url = reverse("reports:customer", args=[dataset.ids["ada"]])
    ada = [m for m in MOVEMENTS if m.customer == "ada"]
    assert len(ada) > 2
    full = page_tables(manager_client.get(url))["transactions"][1:]
    assert len(full) == len(ada)
    assert "the CSV holds every one" not in manager_client.get(url).content.decode()

    monkeypatch.setattr("reports.pages.customers.TRANSACTIONS_SHOWN", 2)
    response = manager_client.get(url)
    assert page_tables(response)["transactions"][1:] == full[:2]  # newest first
    assert "The newest 2; the CSV holds every one." in response.content.decode()
    export = manager_client.get(url, {"export": "transactions"}).content.decode()
    assert len(export.strip().splitlines()) - 1 == len(ada)


def test_the_customer_page_needs_the_permission(client, django_user_model, dataset):
    url = reverse("reports:customer", args=[dataset.ids["ada"]])

    anonymous = client.get(url)
    client.force_login(django_user_model.objects.create_user(username="clerk", password="x-1"))
    clerk = client.get(url)
    clerk_export = client.get(url, {"export": "transactions"})

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/reports/login/")
    assert (clerk.status_code, clerk_export.status_code) == (403, 403)
