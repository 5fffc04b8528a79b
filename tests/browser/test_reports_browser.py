"""Headless Chromium (Debian's, driven by Playwright) logs in as a manager and uses every
report page on a desktop (1440×900) and a phone (390×844): charts drawn without a toolbar,
no page wider than the screen, no JavaScript console errors, the headline cards equal to
their CSV, the customer page reached from the LTV customers table and from a cohort heatmap
cell, and never an admin login. The desktop run saves the home page screenshot the README
shows (docs/screenshots/home.png).

The data: the payments of tests/reports/payments_dataset.py, a year of payments up to today,
and a small subscription business run by the Stripe Billing simulator (devtools.billing) and
synced through dj-stripe as the demo loads it, so the MRR page and cards have something to
show.

The report server here is Django's live server thread without its static-files shortcut,
so static files go through WhiteNoise as in production (Brotli, immutable caching).
"""

import csv
import datetime as dt
import io
import os
import shutil
from pathlib import Path

import pytest
import stripe
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test.testcases import LiveServerThread
from django.urls import reverse

from devtools.billing.engine import BillingSimulator
from devtools.billing.sync import sync_objects
from devtools.demo.loader import ensure_demo_account
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
from warehouse import services
from warehouse.calendar import reporting_today
from warehouse.models import FactTransaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_CHANNEL = '<a href="https://evil.example/">evil</a>'
HOSTILE_OS = "<b>Android</b>"
# REPORTS_SCREENSHOT_DIR=dir saves a full-page screenshot of every page for each device.
SCREENSHOTS = os.environ.get("REPORTS_SCREENSHOT_DIR", "")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "home.png"
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
T = FactTransaction.TransactionType


@pytest.fixture
def chromium_path():
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        reason = f"Chromium not found at {CHROMIUM}: install Debian's chromium (make chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium"))


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def recent_business():
    """A year of payments up to today, so the home cards have trends to show: a dozen
    customers joining over the months, some leaving, a refund and a dispute now and then."""
    this_month = reporting_today().replace(day=1)
    today = reporting_today().day
    for number in range(12):
        customer = DimCustomerFactory(
            stripe_id=f"cus_recent{number:02d}", email=f"recent{number:02d}@example.com"
        )
        joined = add_months(this_month, -12 + number)
        for k in range(0, 13 - number - (number % 3)):
            month = add_months(joined, k)
            day = 1 + (number * 3) % max(today if month == this_month else 28, 1)
            at = dt.datetime(month.year, month.month, day, 15, tzinfo=dt.UTC)
            charge = FactTransactionFactory(
                stripe_id=f"ch_recent{number:02d}_{k:02d}",
                customer=customer,
                occurred_at=at,
                amount=900 + 100 * number,
            )
            if (3 * number + k) % 7 == 0:
                FactTransactionFactory(
                    stripe_id=f"re_recent{number:02d}_{k:02d}",
                    transaction_type=T.REFUND,
                    charge_id=charge.stripe_id,
                    customer=customer,
                    occurred_at=at + dt.timedelta(hours=1),
                    amount=-charge.amount,
                )
            if (5 * number + k) % 11 == 0:
                FactTransactionFactory(
                    stripe_id=f"dp_recent{number:02d}_{k:02d}",
                    transaction_type=T.DISPUTE_WITHDRAWAL,
                    status="lost",
                    charge_id=charge.stripe_id,
                    customer=customer,
                    occurred_at=at + dt.timedelta(hours=2),
                    amount=-charge.amount,
                    fee=1500,
                )
    services.refresh_customer_months()


def subscription_business():
    """Nine subscribers over the last seven months and this one, in USD (monthly Starter and
    Pro) and EUR (a yearly plan): an upgrade, a downgrade, two cancellations, a comeback and
    a subscriber this month, so every kind of MRR movement shows. Synced offline through
    dj-stripe (the warehouse's receivers build the MRR facts and marts from it)."""
    this_month = reporting_today().replace(day=1)
    now = dt.datetime.now(dt.UTC)

    def day(months_ago: int, day: int) -> dt.datetime:
        month = add_months(this_month, -months_ago)
        return dt.datetime(month.year, month.month, day, 15, tzinfo=dt.UTC)

    sim = BillingSimulator(seed=14)
    start = day(8, 1)
    product = sim.product("Stridely", at=start)
    starter = sim.price(product, 1500, "usd", nickname="Starter monthly", at=start)
    pro = sim.price(product, 4900, "usd", nickname="Pro monthly", at=start)
    pro_yearly = sim.price(product, 45000, "eur", interval="year", nickname="Pro yearly", at=start)

    def subscriber(number: int, price, at, quantity: int = 1) -> str:
        customer = sim.customer(at=at, email=f"subscriber{number}@example.com")
        return sim.subscribe(customer["id"], [(price, quantity)], at=at)

    upgrades = subscriber(0, starter, day(7, 3))
    sim.change_price(upgrades, at=day(3, 10), price=pro)
    downgrades = subscriber(1, pro, day(6, 5))
    # Late in its period, so the renewal invoice (with the prorations) still charges: an
    # invoice without a charge takes its exchange rate from another charge of the currency,
    # and this data's factory-made payments have no dj-stripe charge to read one from.
    sim.change_price(downgrades, at=day(2, 28), price=starter)
    sim.cancel(subscriber(2, starter, day(6, 8)), at=day(1, 20))
    subscriber(3, pro_yearly, day(5, 2))
    subscriber(4, starter, day(4, 6))
    leaves = subscriber(5, pro, day(3, 4))
    sim.cancel(leaves, at=day(2, 15))
    sim.subscribe(sim.subscriptions[leaves].customer, [(pro, 1)], at=day(1, 9))
    subscriber(6, starter, day(2, 7), quantity=3)
    subscriber(7, pro, day(1, 11))
    if day(0, 1) < now:
        subscriber(8, starter, day(0, 1))
    sim.advance(now)

    api_key = django_settings.STRIPE_TEST_SECRET_KEY
    previous_base, stripe.api_base = stripe.api_base, "http://127.0.0.1:9"  # offline
    try:
        ensure_demo_account(api_key)
        sync_objects(sim, api_key)
    finally:
        stripe.api_base = previous_base


@pytest.fixture
def report_data(settings, manager_user):
    payments_dataset.build(settings)
    recent_business()
    subscription_business()
    search = DimChannelFactory(channel_name="apple_search_ads", channel_label="Apple Search Ads")
    for user, at, channel in [
        ("user-ada", utc(2025, 3, 9, 20), search),
        ("user-ada", utc(2025, 3, 10, 1), search),
        ("user-bob", utc(2025, 2, 1), DimChannelFactory(channel_name="organic")),
        ("user-gus", utc(2025, 4, 1), DimChannelFactory(channel_name="tiktok_ads")),
    ]:
        FactInstallFactory(
            user_id=user,
            installed_at=at,
            channel=channel,
            client=DimClientFactory(os_name="Android"),
        )
    # A channel named like a link and an OS named in markup: drawn as text, never as markup.
    FactInstallFactory(
        user_id="user-eve",
        installed_at=utc(2025, 3, 5, 12),
        channel=DimChannelFactory(channel_name=HOSTILE_CHANNEL, channel_label=HOSTILE_CHANNEL),
        client=DimClientFactory(os_name=HOSTILE_OS),
    )
    return manager_user


@pytest.fixture
def report_server(report_data, transactional_db):
    """The project's WSGI app (WhiteNoise included) on a free port, static files collected."""
    call_command("collectstatic", interactive=False, verbosity=0)
    thread = LiveServerThread("127.0.0.1", static_handler=lambda handler: handler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


@pytest.fixture
def browser(chromium_path, report_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test data is already in
    # place, and Django's own teardown (flush) must still be allowed to use the database.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, viewport):
    width, height = viewport
    context = browser.new_context(
        viewport={"width": width, "height": height},
        accept_downloads=True,
        is_mobile=width < 500,
        has_touch=width < 500,
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    return context, page, problems


def log_in(page, server):
    page.goto(server + reverse("reports:ltv"))
    assert page.url.startswith(server + reverse("reports:login"))
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(server + reverse("reports:ltv"))


def check_page(page, server, path, *, charts, width, name):
    response = page.goto(server + path)
    assert response.status == 200, name
    assert "/admin" not in page.url, name
    drawn = page.locator("div.chart")
    assert drawn.count() == charts, name
    for index in range(charts):
        chart = drawn.nth(index)
        # something is drawn inside Plotly's SVG: bars, lines/markers or a heatmap
        chart.locator("svg.main-svg g.trace, svg.main-svg g.hm").first.wait_for(state="attached")
        assert chart.locator(".chart-placeholder").count() == 0, name
    # no Plotly toolbar over the titles
    assert page.locator(".modebar-container .modebar").count() == 0, name
    document_width = page.evaluate("document.documentElement.scrollWidth")
    assert document_width <= width, f"{name}: {document_width}px wide"
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)


def top_of(page, selector) -> float:
    return page.locator(selector).first.bounding_box()["y"]


@pytest.mark.parametrize("device", VIEWPORTS)
def test_manager_uses_every_report_page(browser, report_server, device):
    width, height = VIEWPORTS[device]
    context, page, problems = open_page(browser, VIEWPORTS[device])
    server = report_server
    plotly_sizes = []
    page.on(
        "requestfinished",
        lambda request: (
            plotly_sizes.append((request.sizes()["responseBodySize"], request.response().headers))
            if PLOTLY_STATIC_PATH in request.url
            else None
        ),
    )
    log_in(page, server)

    pages = [
        ("home", reverse("reports:home"), 0),
        ("overview", reverse("reports:overview"), 2),
        ("ltv", reverse("reports:ltv") + "?start=2024-11&end=2025-05", 2),
        ("cohorts", reverse("reports:cohorts") + "?start=2024-01&end=2025-05&cohort=2025-01", 4),
        ("channels", reverse("reports:channels") + "?start=2025-01-01&end=2025-12-31", 3),
        ("customers", reverse("reports:customers") + "?q=example.com", 0),
        ("customer", reverse("reports:customer", args=["cus_ada"]), 1),
        ("mrr", reverse("reports:mrr"), 5),
    ]
    for name, path, charts in pages:
        check_page(page, server, path, charts=charts, width=width, name=name)

    # Weight: plotly.js arrives Brotli-compressed, at most 1.5 MB, cached as immutable.
    assert plotly_sizes, "plotly.js was not loaded"
    size, headers = plotly_sizes[0]
    assert headers.get("content-encoding") == "br"
    assert "immutable" in headers.get("cache-control", "")
    assert 0 < size <= 1_500_000

    # Home: the cards show what the CSV holds, and the LTV and refunds/disputes cost cards
    # are on the first screen.
    page.goto(server + reverse("reports:home"))
    with page.expect_download() as download_info:
        page.click("#table-headline .export a")
    header, *rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert len(rows) == page.locator(".card").count() >= 7
    for row in rows:
        values = dict(zip(header, row, strict=True))
        shown = page.locator(f"#card-{values['metric']} .card-value").inner_text()
        assert shown.replace(",", "").removesuffix("%") == (values["value"] or "—"), values
    for card in ("#card-ltv", "#card-refunds_and_disputes_cost", "#card-net_revenue"):
        box = page.locator(card).bounding_box()
        assert box["y"] + box["height"] <= height, f"{card} below the first screen"
    # The MRR and ARR cards (the last full month, and the month before) equal the MRR page's
    # monthly CSV, and are not zero.
    cards = {
        metric: (
            page.locator(f"#card-{metric} .card-period").inner_text(),
            page.locator(f"#card-{metric} .card-value").inner_text().replace(",", ""),
            page.locator(f"#card-{metric} .card-previous").inner_text().replace(",", ""),
        )
        for metric in ("mrr", "arr")
    }
    if device == "desktop":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    page.goto(server + reverse("reports:mrr"))
    with page.expect_download() as download_info:
        page.click("#table-monthly .export a")
    mrr_rows = {
        row["month"]: row
        for row in csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text()))
    }
    last_month = add_months(reporting_today().replace(day=1), -1)
    month_before = add_months(last_month, -1)
    # subscription_business by hand, at the end of last month: Pro (upgraded), Starter
    # (downgraded), the yearly EUR plan at 1.08 USD / 12, Starter, Pro (back), 3 × Starter, Pro;
    # the Starter cancelled last month is gone, this month's subscriber not yet there.
    by_hand = 4900 + 1500 + 45000 * 108 // 100 // 12 + 1500 + 4900 + 3 * 1500 + 4900
    assert cards["mrr"][1] == f"{by_hand / 100:.2f}"
    for kind in ("new", "expansion", "reactivation", "contraction", "churn"):
        assert any(float(row[f"{kind}_mrr (USD)"]) for row in mrr_rows.values()), kind
    for metric, (period, value, previous) in cards.items():
        assert period == last_month.strftime("%Y-%m")
        assert value == mrr_rows[period][f"{metric} (USD)"], metric
        assert float(value) > 0, metric
        before = mrr_rows[month_before.strftime("%Y-%m")][f"{metric} (USD)"]
        assert previous == f"vs {before} in {month_before:%Y-%m}", metric

    # The other questions, each from the first screen of its page.
    page.goto(server + reverse("reports:ltv"))
    assert top_of(page, ".card[data-card=ltv]") < height
    assert top_of(page, "#chart-ltv-over-time") < height
    page.goto(server + reverse("reports:channels") + "?start=2025-01-01&end=2025-12-31")
    assert top_of(page, "#chart-channel-funnel") < height
    assert "Apple Search Ads" in page.locator("#table-funnel").inner_text()
    assert "apple_search_ads" not in page.locator("main").inner_text()
    page.goto(server + reverse("reports:cohorts") + "?start=2024-01&end=2025-05&cohort=2025-01")
    assert top_of(page, "#chart-cohort-heatmap") < height
    # Many cohorts and months stay readable on a phone: each cell at least 36 × 18 px, the
    # chart scrolling sideways inside its box (check_page: the page stays within the screen).
    page.locator("#chart-cohort-heatmap svg.main-svg g.hm").first.wait_for(state="attached")
    cell_size = page.evaluate(
        """() => {
            const chart = document.getElementById('chart-cohort-heatmap');
            const trace = chart.data[0], layout = chart._fullLayout;
            return {width: layout.xaxis._length / trace.x.length,
                    height: layout.yaxis._length / trace.y.length, columns: trace.x.length};
        }"""
    )
    assert cell_size["columns"] >= 12  # many columns: a year and more
    assert cell_size["width"] >= 36 and cell_size["height"] >= 18, cell_size
    # "What is MRR and what moved it?": MRR and ARR now against the end of last month, whole,
    # then the start of the movements chart (its bars and net new MRR line drawn).
    page.goto(server + reverse("reports:mrr"))
    now_box = page.locator("#table-now table").bounding_box()
    assert now_box["y"] + now_box["height"] <= height, "MRR now below the first screen"
    measures = page.locator("#table-now tbody tr td:first-child").all_inner_texts()
    assert measures == ["MRR", "ARR"]
    now_values = page.locator("#table-now tbody tr td:nth-child(2)").all_inner_texts()
    assert all(float(v.replace(",", "")) > 0 for v in now_values), now_values
    movements = page.locator("#chart-mrr-movements")
    movements.locator("svg.main-svg g.trace.bars").first.wait_for(state="attached")
    assert movements.bounding_box()["y"] + 150 < height, "MRR movements below the first screen"

    # Markup in data and in the chosen OS is drawn as text (issue 15, finding 5).
    page.goto(
        server + reverse("reports:channels") + "?start=2025-01-01&end=2025-12-31"
        "&os_name=%3Cb%3EAndroid%3C%2Fb%3E"
    )
    page.locator("#chart-top-channels svg.main-svg g.trace").first.wait_for(state="attached")
    assert page.locator(".chart svg a").count() == 0  # Plotly draws markup links as svg <a>
    assert page.locator(".chart svg text", has_text='<a href="https://evil.example/">').count()
    assert page.locator(".chart svg text", has_text="<b>Android</b>").count()

    # The funnel table sorts by a click on its header, with an arrow.
    page.goto(server + reverse("reports:channels") + "?start=2025-01-01&end=2025-12-31")
    header_cell = page.locator("#table-funnel th[data-key=installs]")
    header_cell.locator("button").click()
    assert header_cell.get_attribute("aria-sort") == "descending"
    installs = [
        int(text)
        for text in page.locator("#table-funnel tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert installs == sorted(installs, reverse=True)

    # The customer page from the LTV customers table...
    page.goto(server + reverse("reports:ltv") + "?start=2024-11&end=2025-05")
    page.locator("#table-customers tbody a").first.click()
    page.wait_for_load_state()
    assert "/reports/customers/cus_" in page.url
    assert page.locator("#table-transactions tbody tr").count() > 0
    # ...and from a cohort heatmap cell (2024-11 cohort, two months later), then one of them
    page.goto(server + reverse("reports:cohorts") + "?start=2024-01&end=2025-05&cohort=2025-01")
    heatmap = page.locator("#chart-cohort-heatmap")
    heatmap.locator("svg.main-svg g.hm").first.wait_for(state="attached")
    cell = page.evaluate(
        """() => {
            const chart = document.getElementById('chart-cohort-heatmap');
            const trace = chart.data[0];
            const row = trace.y.indexOf('2024-11'), column = trace.x.indexOf('+2');
            const xa = chart._fullLayout.xaxis, ya = chart._fullLayout.yaxis;
            const box = chart.querySelector('.nsewdrag').getBoundingClientRect();
            return {x: box.left + xa.c2p(column), y: box.top + ya.c2p(row)};
        }"""
    )
    page.mouse.click(cell["x"], cell["y"])
    page.wait_for_url("**/reports/customers/?cohort=2024-11&month=2025-01")
    page.locator("#table-customers tbody a").first.click()
    page.wait_for_load_state()
    assert "/reports/customers/cus_" in page.url and "/admin" not in page.url

    assert problems == []
    context.close()
