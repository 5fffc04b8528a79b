"""Hostile text from data and the query string in the exports and charts, over HTTP (Django
test client on the real URLconf): CSV cells that start like a formula are neutralised in every
export, numbers stay numbers, and chart labels and titles reach Plotly escaped."""

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, reverse

from reports import urls as report_urls
from reports.formatting import FORMULA_TRIGGERS, neutralise_csv_formula
from reports.tables import Column, Table
from tests.factories import (
    DimChannelFactory,
    DimClientFactory,
    DimCustomerFactory,
    FactInstallFactory,
    FactTransactionFactory,
    utc,
)
from tests.reports import payments_dataset
from warehouse import services
from warehouse.models import DimCustomer, FactTransaction

pytestmark = pytest.mark.django_db

HOSTILE_EMAIL = "=1+1@example.com"  # a valid address an end user may choose
HOSTILE_USER = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_CHANNEL = '+<a href="https://evil.example/">click</a>'
MARKUP_CHANNEL = "<b>big</b>"
HOSTILE_OS = "-<span style='font-size:99px'>iOS</span>"
# Filters that show the data below on each page; a page missing here uses its defaults.
PAGE_FILTERS = {
    "overview": {"start": "2024-11", "end": "2025-05"},
    "customers": {"q": "example.com"},
    "ltv": {"start": "2024-11", "end": "2025-05"},
    "cohorts": {"start": "2024-01", "end": "2025-05", "cohort": "2025-01"},
    "channels": {
        "start": "2025-01-01",
        "end": "2025-12-31",
        "day": "2025-03-09",
        "os_name": HOSTILE_OS,
    },
    "mrr": {
        "start": "2025-01",
        "end": "2025-05",
        "movement_month": "2025-03",
        "movement_type": "new",
    },
}
HOSTILE_PLAN = '=HYPERLINK("https://evil.example/")'


# Pages of one object: the object the hostile data makes.
PAGE_ARGS = {"customer": ["cus_ada"]}


def _report_pages() -> list[str]:
    """The export registry: every report page of the URLconf (each table on it exports)."""
    return [
        pattern.name
        for pattern in report_urls.urlpatterns
        if isinstance(pattern, URLPattern) and getattr(pattern.callback, "report_page", False)
    ]


def _page_url(page: str) -> str:
    return reverse(f"reports:{page}", args=PAGE_ARGS.get(page, []))


@pytest.fixture
def hostile_data(settings):
    ids = payments_dataset.build(settings)
    DimCustomer.objects.filter(stripe_id=ids["ada"]).update(
        email=HOSTILE_EMAIL, user_id=HOSTILE_USER
    )
    # A customer whose refund outweighs the charge: negative money must stay a number.
    refunded = DimCustomerFactory(stripe_id="cus_minus", email="-minus@example.com")
    for stripe_id, kind, amount in [("ch_minus", "charge", 1000), ("re_minus", "refund", -3000)]:
        FactTransactionFactory(
            stripe_id=stripe_id,
            transaction_type=kind,
            customer=refunded,
            occurred_at=utc(2025, 3, 5, 12),
            amount=amount,
            settlement_amount=amount,
            fee=0,
            net=amount,
        )
    services.refresh_customer_months()
    for channel_name in (HOSTILE_CHANNEL, MARKUP_CHANNEL):
        # pages draw a channel by its label (the CSV carries both): both hostile
        channel = DimChannelFactory(channel_name=channel_name, channel_label=channel_name)
        for user, at in [(HOSTILE_USER, utc(2025, 3, 9, 20)), (HOSTILE_USER, utc(2025, 3, 10, 1))]:
            FactInstallFactory(
                user_id=user,
                installed_at=at,
                channel=channel,
                client=DimClientFactory(os_name=HOSTILE_OS),
            )
    assert FactTransaction.objects.filter(stripe_id="re_minus").exists()
    _hostile_mrr(ids["ada"])


def _hostile_mrr(customer_id):
    """One MRR movement of the hostile customer on a plan with a hostile name, and the MRR
    marts' full forms over it."""
    import datetime as dt

    from warehouse.models import DimPrice, FactMrrChange, FactMrrMovement, MartMrrMonthMovement
    from warehouse.sql_files import execute

    DimPrice.objects.create(stripe_id="price_hostile", nickname=HOSTILE_PLAN, currency="usd")
    day = dt.date(2025, 3, 5)
    FactMrrChange.objects.create(
        customer_id=customer_id,
        subscription_id="sub_hostile",
        price_id="price_hostile",
        date=day,
        month=day.replace(day=1),
        amount=2500,
    )
    FactMrrMovement.objects.create(
        customer_id=customer_id,
        date=day,
        month=day.replace(day=1),
        movement_type="new",
        mrr_before=0,
        mrr_after=2500,
        amount=2500,
        subscription_id="sub_hostile",
        price_id="price_hostile",
    )
    # the movement's month row, as fact_mrr_movement.sql's delta would add it
    MartMrrMonthMovement.objects.create(
        month=day.replace(day=1), movement_type="new", amount=2500, movements=1, customers=1
    )
    execute("marts/mart_mrr_customer_month", {"all_customers": True, "customer_ids": []})
    execute("marts/mart_mrr_cohort", {"all_cohorts": True, "cohorts": []})


def _page_tables(client, page):
    response = client.get(_page_url(page), PAGE_FILTERS.get(page, {}))
    assert response.status_code == 200
    return response, [table.name for table in response.context["tables"]]


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def test_the_export_registry_has_every_page():
    assert set(_report_pages()) >= {"overview", "ltv", "cohorts", "channels"}


@pytest.mark.parametrize("page", _report_pages())
def test_no_exported_cell_starts_like_a_formula(manager_client, hostile_data, page):
    """Finding 4: emails, user ids and channel names starting with = + - @ were exported raw."""
    _, tables = _page_tables(manager_client, page)
    numbers = []
    for name in tables:
        response = manager_client.get(
            _page_url(page), {**PAGE_FILTERS.get(page, {}), "export": name}
        )
        assert response.status_code == 200
        _header, *rows = csv.reader(io.StringIO(response.content.decode()))
        for row in rows:
            for cell in row:
                if _is_number(cell):
                    numbers.append(cell)
                else:
                    assert not cell.startswith(FORMULA_TRIGGERS), (name, cell)
    assert numbers, "no numeric cells: the data did not reach the exports"


def _export(client, page, name):
    response = client.get(reverse(f"reports:{page}"), {**PAGE_FILTERS[page], "export": name})
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_hostile_text_is_quoted_and_negative_money_stays_numeric(manager_client, hostile_data):
    customers = _export(manager_client, "ltv", "customers")
    cells = {cell for row in customers for cell in row}
    assert "'" + HOSTILE_EMAIL in cells and "'-minus@example.com" in cells
    minus_row = next(row for row in customers if row[0] == "cus_minus")
    total_net = minus_row[customers[0].index("total_net (USD)")]
    assert total_net == "-20.00"  # 1000 − 3000 cents, a number, not '-20.00

    for name in ("top_channels", "installs_by_channel_os", "funnel"):
        channels = {cell for row in _export(manager_client, "channels", name) for cell in row}
        assert "'" + HOSTILE_CHANNEL in channels, name
    movements = {cell for row in _export(manager_client, "mrr", "movements") for cell in row}
    assert "'" + HOSTILE_PLAN in movements and "'" + HOSTILE_EMAIL in movements
    duplicates = _export(manager_client, "channels", "duplicate_installs")
    assert "'" + HOSTILE_USER in {row[0] for row in duplicates}
    over_time = _export(manager_client, "channels", "installs_by_channel_os")
    assert "'" + HOSTILE_OS in {cell for row in over_time for cell in row}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_neutralise_csv_formula(text, expected):
    assert neutralise_csv_formula(text) == expected


def test_csv_writer_keeps_numeric_columns_numeric_and_quotes_text():
    table = Table(
        name="t",
        title="t",
        columns=[Column("name", "Name"), Column("net", "Net", "money"), Column("n", "N", "int")],
        rows=[{"name": "-5", "net": -1250, "n": -3}],
        currency="usd",
    )
    assert table.to_csv().splitlines() == ["name,net (USD),n", "'-5,-12.50,-3"]


class _ChartSpecs(HTMLParser):
    """The JSON of each chart (json_script) on a page."""

    def __init__(self):
        super().__init__()
        self.specs, self._in_spec = [], False

    def handle_starttag(self, tag, attrs):
        self._in_spec = tag == "script" and dict(attrs).get("type") == "application/json"

    def handle_endtag(self, tag):
        self._in_spec = False

    def handle_data(self, data):
        if self._in_spec:
            self.specs.append(json.loads(data))


def _strings(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
    elif isinstance(value, str):
        yield path, value


def test_chart_labels_and_titles_are_escaped(manager_client, hostile_data):
    """Finding 5: a channel named <a href=…> became a link in the chart, and <b> / styled
    text from channel names and the reflected ?os_name= rendered."""
    response, _ = _page_tables(manager_client, "channels")
    parser = _ChartSpecs()
    parser.feed(response.content.decode())
    assert len(parser.specs) == 3  # the funnel, top channels, installs over time

    texts = [(path, text) for spec in parser.specs for path, text in _strings(spec)]
    for path, text in texts:
        if not path.endswith("template"):
            assert "<" not in text and ">" not in text, (path, text)
            assert not re.search(r"&(?!(lt|gt|amp);)", text), (path, text)
    everything = " ".join(text for _, text in texts)
    assert '+&lt;a href="https://evil.example/"&gt;click&lt;/a&gt;' in everything
    assert "&lt;b&gt;big&lt;/b&gt;" in everything
    titles = [spec["layout"]["title"]["text"] for spec in parser.specs]
    assert "Top channels by -&lt;span style='font-size:99px'&gt;iOS&lt;/span&gt; installs" in titles
