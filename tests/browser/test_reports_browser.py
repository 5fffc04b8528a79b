"""Headless Chromium (Debian's, driven by Playwright) logs in as a manager and uses every
report page: charts drawn, tables filled, a CSV downloaded, no JavaScript console errors."""

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import DimChannelFactory, DimClientFactory, FactInstallFactory, utc
from tests.reports import payments_dataset

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
SCREENSHOTS = os.environ.get("REPORTS_SCREENSHOT_DIR", "")
PAGES = [
    ("reports:overview", "month=2025-03", 1),
    ("reports:ltv", "start=2024-11&end=2025-05", 1),
    ("reports:cohorts", "start=2024-01&end=2025-05&cohort=2025-01", 4),
    ("reports:channels", "start=2025-01-01&end=2025-12-31&day=2025-03-09", 2),
]


@pytest.fixture
def chromium_path():
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        reason = f"Chromium not found at {CHROMIUM}: install Debian's chromium (make chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium"))


@pytest.fixture
def report_data(settings, manager_user):
    payments_dataset.build(settings)
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
    # A channel named like a link: its chart label must show as text, not become a link.
    FactInstallFactory(
        user_id="user-eve",
        installed_at=utc(2025, 3, 5, 12),
        channel=DimChannelFactory(channel_name=HOSTILE_CHANNEL),
        client=DimClientFactory(os_name="Android"),
    )
    return manager_user


@pytest.fixture
def browser_page(chromium_path, report_data, live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test data is already in
    # place, and Django's own teardown (flush) must still be allowed to use the database.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
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
        yield page, problems
        context.close()
        browser.close()


def test_manager_uses_every_report_page_in_chromium(browser_page, live_server):
    page, problems = browser_page

    page.goto(live_server.url + reverse("reports:ltv"))
    assert page.url.startswith(live_server.url + reverse("reports:login"))
    page.fill("#id_username", "manager")
    page.fill("#id_password", "manager-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + reverse("reports:ltv"))

    for url_name, query, chart_count in PAGES:
        response = page.goto(f"{live_server.url}{reverse(url_name)}?{query}")
        assert response.status == 200, url_name

        charts = page.locator("div.chart")
        assert charts.count() == chart_count, url_name
        for index in range(chart_count):
            chart = charts.nth(index)
            # something is drawn inside Plotly's SVG: bars, lines/markers or a heatmap
            chart.locator("svg.main-svg g.trace, svg.main-svg g.hm").first.wait_for(
                state="attached"
            )
            assert "js-plotly-plot" in chart.get_attribute("class")
        for section in page.locator("section.report-table").all():
            if section.locator("table").count():
                assert section.locator("tbody tr").count() > 0
        assert page.locator("section.report-table tbody tr").count() > 0, url_name
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/{url_name.split(':')[1]}.png", full_page=True)

    # Markup in data and in the query string is drawn as text (issue 15, finding 5).
    page.goto(
        f"{live_server.url}{reverse('reports:channels')}?start=2025-01-01&end=2025-12-31"
        "&os_name=%3Cb%3EAndroid%3C%2Fb%3E"
    )
    page.locator("#chart-top-channels svg.main-svg g.trace").first.wait_for(state="attached")
    assert page.locator(".chart svg a").count() == 0  # Plotly draws markup links as svg <a>
    assert page.locator(".chart svg text", has_text='<a href="https://evil.example/">').count()
    assert page.locator(".chart svg text", has_text="<b>Android</b>").count()

    page.goto(f"{live_server.url}{reverse('reports:ltv')}?start=2024-11&end=2025-05")
    with page.expect_download() as download_info:
        page.click("#table-customers .export a")
    download = download_info.value
    assert download.suggested_filename == "ltv-customers.csv"
    header, *rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert header[0] == "customer_id" and "total_net (USD)" in header
    assert len(rows) == 6

    assert problems == []
