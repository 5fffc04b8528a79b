"""The report pages over HTTP (Django test client): filters, CSV export, empty states."""

import csv
import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import brotli
import plotly
import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports.formatting import display_value
from reports.staticfiles import PLOTLY_STATIC_PATH
from tests.factories import (
    DimChannelFactory,
    DimClientFactory,
    DimCustomerFactory,
    FactInstallFactory,
    FactTransactionFactory,
    utc,
)
from tests.reports import payments_dataset
from tests.reports.payments_dataset import Expected
from warehouse import services
from warehouse.calendar import reporting_today
from warehouse.money import major_units

pytestmark = pytest.mark.django_db

PAGES = {
    "reports:home": {},
    "reports:overview": {"start": "2024-11", "end": "2025-05"},
    "reports:ltv": {"start": "2024-11", "end": "2025-05"},
    "reports:cohorts": {"start": "2024-01", "end": "2025-05", "cohort": "2025-01"},
    "reports:channels": {"start": "2025-01-01", "end": "2025-12-31", "day": "2025-03-09"},
    "reports:customers": {"q": "example.com"},
}
TABLES = {
    "reports:home": ["headline"],
    "reports:overview": ["refunds_disputes", "money"],
    "reports:ltv": ["ltv_over_time", "ltv", "monthly", "customers"],
    "reports:cohorts": [
        "retention_customers",
        "retention_revenue",
        "customer_flow",
        "follow_cohort",
        "retention_detail",
    ],
    "reports:channels": ["funnel", "top_channels", "duplicate_installs", "installs_by_channel_os"],
    "reports:customers": ["customers"],
}


class TableParser(HTMLParser):
    """Collects each <section data-table=...>'s header and body cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell = {}, None, None, None
        self.keys = {}  # table -> the column keys of its header (th data-key), as in the CSV

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-table" in attrs:
            self.current = self.tables.setdefault(attrs["data-table"], [])
            self.current_keys = self.keys.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            if tag == "th" and "data-key" in attrs:
                self.current_keys.append(attrs["data-key"])
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None
        elif tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def page_tables(response) -> dict:
    parser = TableParser()
    parser.feed(response.content.decode())
    return parser.tables


def page_table_keys(response) -> dict:
    """Each table's column keys as the page shows them (a CSV may hold more, e.g. codes)."""
    parser = TableParser()
    parser.feed(response.content.decode())
    return parser.keys


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def as_csv_text(page_text: str) -> str:
    """A page cell as its CSV value: no thousands separators, no % sign, — for empty."""
    return "" if page_text == "—" else page_text.replace(",", "").removesuffix("%")


@pytest.fixture
def dataset(settings):
    ids = payments_dataset.build(settings)
    channel = DimChannelFactory(channel_name="search")
    for user, at in [
        ("user-ada", utc(2025, 3, 9, 20)),
        ("user-ada", utc(2025, 3, 10, 1)),
        ("user-bob", utc(2025, 2, 1)),
    ]:
        FactInstallFactory(
            user_id=user,
            installed_at=at,
            channel=channel,
            client=DimClientFactory(os_name="Android"),
        )
    return Expected(ids)


@pytest.mark.parametrize("url_name", PAGES)
def test_every_table_downloads_as_csv_with_the_numbers_of_the_page(
    manager_client, dataset, url_name
):
    url = reverse(url_name)
    page = manager_client.get(url, PAGES[url_name])
    tables, keys_shown = page_tables(page), page_table_keys(page)
    assert set(tables) == set(TABLES[url_name])

    for name in TABLES[url_name]:
        response = manager_client.get(url, {**PAGES[url_name], "export": name})

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment;")
        header, *rows = csv_rows(response)
        _, *page_rows = tables[name]
        keys = [column.split(" (")[0] for column in header]
        assert set(keys_shown[name]) <= set(keys), name
        assert rows, f"{name} has no rows"
        shown = [keys.index(key) for key in keys_shown[name]]
        assert [[row[i] for i in shown] for row in rows] == [
            [as_csv_text(cell) for cell in row] for row in page_rows
        ], name


def test_overview_shows_each_months_money_in_major_units(manager_client, dataset):
    response = manager_client.get(
        reverse("reports:overview"), {"start": "2025-01", "end": "2025-02", "export": "money"}
    )

    header, january, february = csv_rows(response)
    net = header.index("net_revenue (USD)")
    assert [january[net], february[net]] == [
        str(major_units(dataset.month_net(dt.date(2025, month, 1)), "usd")) for month in (1, 2)
    ]


def test_overview_defaults_to_the_trailing_twelve_months(manager_client):
    FactTransactionFactory(customer=DimCustomerFactory(), occurred_at=timezone.now())
    services.refresh_customer_months()

    response = manager_client.get(reverse("reports:overview"), {"export": "money"})

    _, *rows = csv_rows(response)
    this_month = reporting_today().replace(day=1)
    months = [dt.date.fromisoformat(row[0] + "-01") for row in rows]
    assert len(months) == 12 and months[-1] == this_month


def test_ltv_page_links_customers_to_their_customer_page_and_sorts(manager_client, dataset):
    response = manager_client.get(
        reverse("reports:ltv"),
        {**PAGES["reports:ltv"], "sort": "active_months", "direction": "asc"},
    )

    customer_url = reverse("reports:customer", args=[dataset.ids["ada"]])
    assert f'href="{customer_url}"'.encode() in response.content
    assert b"/admin/" not in response.content
    # the sorted header shows its arrow; re-sorting and paging links come back to the table
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html
    assert "direction=desc#table-customers" in html
    customers = page_tables(response)["customers"][1:]
    active = [int(row[4]) for row in customers]
    assert active == sorted(active) and len(active) == 6


@pytest.mark.parametrize(
    "url_name,params,message",
    [
        ("reports:overview", {"start": "2025-13"}, "Enter a month as YYYY-MM"),
        (
            "reports:overview",
            {"end": "'; drop table dim_customer; --"},
            "Enter a month as YYYY-MM",
        ),
        ("reports:ltv", {"window": "5"}, "Select a valid choice"),
        ("reports:ltv", {"start": "2025-05", "end": "2025-01"}, "must not be after the last month"),
        ("reports:ltv", {"start": "1900-01"}, "Enter a month as YYYY-MM"),
        ("reports:ltv", {"start": "2000-01", "end": "2025-01"}, "Choose at most 240 months"),
        ("reports:ltv", {"sort": "email; drop table x"}, "Select a valid choice"),
        ("reports:ltv", {"page": "0"}, "greater than or equal to 1"),
        ("reports:ltv", {"page": "many"}, "Enter a whole number"),
        ("reports:cohorts", {"cohort": "Jan"}, "Enter a month as YYYY-MM"),
        (
            "reports:cohorts",
            {"end": "2025-01", "start": "2024-12", "cohort": "2025-02"},
            "must not be after the last month",
        ),
        ("reports:cohorts", {"basis": "everyone"}, "Select a valid choice"),
        ("reports:channels", {"top": "0"}, "greater than or equal to 1"),
        ("reports:channels", {"top": "five"}, "Enter a whole number"),
        ("reports:channels", {"day": "2025-02-30"}, "Enter a valid date"),
        ("reports:channels", {"os_name": "Windows"}, "Select a valid choice"),
        ("reports:customers", {"q": "x" * 256}, "at most 255 characters"),
        (
            "reports:channels",
            {"start": "2025-03-01", "end": "2025-01-01"},
            "must not be after the last day",
        ),
        ("reports:channels", {"start": "0001-01-01", "end": "2025-01-01"}, "at most 3660 days"),
    ],
)
def test_invalid_filters_answer_400_with_the_forms_message(
    manager_client, url_name, params, message
):
    for extra in ({}, {"export": "anything"}):
        response = manager_client.get(reverse(url_name), {**params, **extra})

        assert response.status_code == 400
        assert message in response.content.decode()


def test_unknown_export_table_is_a_400_naming_the_tables(manager_client):
    response = manager_client.get(reverse("reports:ltv"), {"export": "nope"})

    assert response.status_code == 400
    assert "ltv_over_time, ltv, monthly, customers" in response.content.decode()


EMPTY_STATES = {
    "reports:home": "No payments yet",
    "reports:overview": "No payments in these months",
    "reports:ltv": "No full month in this range",
    "reports:cohorts": "No cohort starts in these months",
    "reports:channels": "No installs in these days",
    "reports:customers": "No customer matches",
}


@pytest.mark.parametrize("url_name", PAGES)
def test_empty_warehouse_shows_empty_states_saying_why(manager_client, url_name):
    response = manager_client.get(reverse(url_name), PAGES[url_name])

    assert response.status_code == 200
    assert EMPTY_STATES[url_name] in response.content.decode()
    assert b'data-spec="' not in response.content


def test_a_range_of_only_the_current_month_says_ltv_needs_a_full_month(manager_client, dataset):
    this_month = timezone.localdate().strftime("%Y-%m")

    response = manager_client.get(reverse("reports:ltv"), {"start": this_month, "end": this_month})

    assert "LTV needs at least one finished month" in response.content.decode()


def test_zero_decimal_settlement_currency_is_shown_without_decimals(manager_client, settings):
    customer = DimCustomerFactory()
    moment = timezone.now()
    FactTransactionFactory(
        customer=customer,
        occurred_at=moment,
        amount=123456,
        currency="jpy",
        settlement_currency="jpy",
    )
    services.refresh_customer_months()

    response = manager_client.get(reverse("reports:overview"))

    this_month = page_tables(response)["money"][-1]
    assert this_month[1] == "123,456"  # gross: yen, not 1,234.56
    export = csv_rows(manager_client.get(reverse("reports:overview"), {"export": "money"}))
    assert export[0][1] == "gross (JPY)" and export[-1][1] == "123456"


@pytest.mark.parametrize(
    "minor,currency,shown",
    [
        (123456, "usd", "1,234.56"),
        (123456, "jpy", "123,456"),
        (123456, "krw", "123,456"),
        (123456, "bhd", "123.456"),
        (-5, "eur", "-0.05"),
        (Decimal("1234.567"), "usd", "12.35"),
        (Decimal("1234.5"), "jpy", "1,235"),
    ],
)
def test_money_display_respects_the_currency_exponent(minor, currency, shown):
    assert display_value(minor, "money", currency) == shown


def test_plotly_js_is_a_compressed_immutable_static_file(client, manager_client, dataset):
    call_command("collectstatic", interactive=False, verbosity=0)
    page = manager_client.get(reverse("reports:ltv"), PAGES["reports:ltv"]).content.decode()
    url = static(PLOTLY_STATIC_PATH)
    assert f'<script src="{url}" defer></script>' in page
    assert plotly.__version__ in url and "cdn" not in page.lower()

    response = Client().get(url, headers={"accept-encoding": "gzip, br"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert len(body) <= 1_500_000
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert brotli.decompress(body) == bundled.read_bytes()
    assert Client().get(url.replace(plotly.__version__, "0.0.1")).status_code == 404


def test_customers_table_is_paginated_with_links_keeping_the_filter(manager_client):
    for number in range(55):
        FactTransactionFactory(
            customer=DimCustomerFactory(email=f"c{number:02d}@example.com"),
            occurred_at=utc(2025, 3, 10),
            amount=1000 + number,
        )
    services.refresh_customer_months()
    params = {"start": "2025-01", "end": "2025-03", "sort": "total_net", "direction": "asc"}

    first = manager_client.get(reverse("reports:ltv"), params)
    second = manager_client.get(reverse("reports:ltv"), {**params, "page": "2"})

    assert len(page_tables(first)["customers"]) == 1 + 50
    assert "Page 1 of 2 (55 customers)" in first.content.decode()
    assert (
        "?start=2025-01&amp;end=2025-03&amp;sort=total_net&amp;direction=asc&amp;page=2"
        "#table-customers" in first.content.decode()
    )
    rows = page_tables(second)["customers"][1:]
    assert [row[1] for row in rows] == [f"c{n:02d}@example.com" for n in range(50, 55)]
    past_end = manager_client.get(reverse("reports:ltv"), {**params, "page": "9999"})
    assert past_end.status_code == 200
    html = past_end.content.decode()
    assert "Page 9999 is past the last page (2)." in html
    assert "page=2#table-customers" in html and "Go to the last page (2)" in html
    # page, sort and direction are not filter fields the reader sees
    assert 'type="hidden" name="page"' not in html
    assert 'name="sort"' in html and 'type="hidden" name="sort"' in html
