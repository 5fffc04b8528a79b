"""The install queries on hand-built installs, answers worked out in the tests."""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from reports.models import AcquisitionReport, InstallDayReport, InstallReport
from tests.factories import (
    DimChannelFactory,
    DimClientFactory,
    DimCustomerFactory,
    FactInstallFactory,
    FactTransactionFactory,
    utc,
)
from tests.reports.payments_dataset import rounded
from warehouse import services

pytestmark = pytest.mark.django_db

AUCKLAND = ZoneInfo("Pacific/Auckland")
# 20:00 UTC on 10 March 2025 is 09:00 on 11 March in Auckland (NZDT, UTC+13): "yesterday"
# there is 10 March, which runs from 11:00 UTC on 9 March to 11:00 UTC on 10 March.
NOW = utc(2025, 3, 10, 20, 0)
DUPLICATE_CANDIDATES = [
    ("u1", utc(2025, 3, 9, 12, 0)),
    ("u1", utc(2025, 3, 10, 10, 0)),
    ("u2", utc(2025, 3, 9, 10, 59)),  # 23:59 on 9 March in Auckland
    ("u2", utc(2025, 3, 9, 12, 0)),
    ("u3", utc(2025, 3, 9, 11, 0)),  # midnight opening 10 March: counts
    ("u3", utc(2025, 3, 9, 15, 0)),
    ("u3", utc(2025, 3, 10, 10, 59, 59)),
    ("u4", utc(2025, 3, 10, 5, 0)),
    ("u4", utc(2025, 3, 10, 11, 0)),  # midnight opening 11 March: does not count
    ("u5", utc(2025, 3, 9, 20, 0)),
    ("u5", utc(2025, 3, 9, 21, 0)),
]


@pytest.fixture
def auckland_installs(settings, monkeypatch):
    settings.TIME_ZONE = "Pacific/Auckland"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    for user_id, installed_at in DUPLICATE_CANDIDATES:
        FactInstallFactory(user_id=user_id, installed_at=installed_at)


def _duplicates_by_hand(day: dt.date, zone: ZoneInfo) -> list[dict]:
    counts = Counter(u for u, at in DUPLICATE_CANDIDATES if at.astimezone(zone).date() == day)
    return sorted(
        ({"user_id": u, "install_count": n} for u, n in counts.items() if n > 1),
        key=lambda row: (-row["install_count"], row["user_id"]),
    )


def _user_counts(rows):
    return [{"user_id": r["user_id"], "install_count": r["install_count"]} for r in rows]


def test_duplicate_installs_default_to_yesterday_in_the_reporting_time_zone(auckland_installs):
    rows = InstallReport.objects.duplicate_installs()

    assert _user_counts(rows) == [
        {"user_id": "u3", "install_count": 3},
        {"user_id": "u1", "install_count": 2},
        {"user_id": "u5", "install_count": 2},
    ]
    assert _user_counts(rows) == _duplicates_by_hand(dt.date(2025, 3, 10), AUCKLAND)
    # yesterday in UTC (9 March) would have been a different answer
    assert _duplicates_by_hand(dt.date(2025, 3, 9), dt.UTC) != _user_counts(rows)
    u3 = rows[0]
    assert (u3["first_installed_at"], u3["last_installed_at"]) == (
        utc(2025, 3, 9, 11, 0),
        utc(2025, 3, 10, 10, 59, 59),
    )


@pytest.mark.parametrize("day", [dt.date(2025, 3, 9), dt.date(2025, 3, 10), dt.date(2025, 3, 11)])
def test_duplicate_installs_on_a_chosen_day(auckland_installs, day):
    assert _user_counts(InstallReport.objects.duplicate_installs(day)) == _duplicates_by_hand(
        day, AUCKLAND
    )


def test_duplicate_installs_none_on_a_quiet_day(auckland_installs):
    assert InstallReport.objects.duplicate_installs(dt.date(2024, 1, 1)) == []


# channel -> installs per OS; "android" in lower case counts as Android.
CHANNEL_INSTALLS = {
    "alpha": {"Android": 3, "iOS": 1},
    "beta": {"Android": 3, "iOS": 3},
    "gamma": {"android": 2},
    "delta": {"iOS": 5},
    "eta": {"Android": 1},
    "theta": {"Android": 1},
    "epsilon": {},
    "zeta": {},
}


@pytest.fixture
def channel_installs():
    moment = utc(2025, 6, 1, 12)
    for channel_name, per_os in CHANNEL_INSTALLS.items():
        channel = DimChannelFactory(channel_name=channel_name)
        for os_name, count in per_os.items():
            client = DimClientFactory(os_name=os_name)
            for _ in range(count):
                FactInstallFactory(channel=channel, client=client, installed_at=moment)
    # an Android install a year earlier, outside the date range of the range test
    FactInstallFactory(
        channel=DimChannelFactory(channel_name="zeta"),
        client=DimClientFactory(os_name="Android"),
        installed_at=utc(2024, 6, 1, 12),
    )


def _ranking_by_hand(os_name, extra=None):
    rows = []
    for name, per_os in CHANNEL_INSTALLS.items():
        per_os = dict(per_os)
        for os_key, count in (extra or {}).get(name, {}).items():
            per_os[os_key] = per_os.get(os_key, 0) + count
        os_count = sum(n for o, n in per_os.items() if o.lower() == os_name.lower())
        rows.append((name, os_count, sum(per_os.values())))
    return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))


def _ranking(rows):
    return [(r["channel_name"], r["os_installs"], r["total_installs"]) for r in rows]


def test_top_channels_by_android_installs_then_total(channel_installs):
    rows = InstallDayReport.objects.top_channels_by_os()

    # beta beats alpha on total installs; eta, theta and zeta tie and go by name
    assert _ranking(rows) == [
        ("beta", 3, 6),
        ("alpha", 3, 4),
        ("gamma", 2, 2),
        ("eta", 1, 1),
        ("theta", 1, 1),
    ]


def test_top_channels_include_channels_without_installs_last(channel_installs):
    rows = InstallDayReport.objects.top_channels_by_os("Android", limit=20)

    assert _ranking(rows) == _ranking_by_hand("Android", {"zeta": {"Android": 1}})
    assert _ranking(rows)[-1] == ("epsilon", 0, 0)


def test_top_channels_for_another_os_rank_by_that_os(channel_installs):
    rows = InstallDayReport.objects.top_channels_by_os("iOS", limit=3)

    assert _ranking(rows) == [("delta", 5, 5), ("beta", 3, 6), ("alpha", 1, 4)]


def test_top_channels_within_a_day_range(channel_installs, settings):
    rows = InstallDayReport.objects.top_channels_by_os(
        "Android", limit=20, first_day=dt.date(2025, 1, 1), last_day=dt.date(2025, 12, 31)
    )

    assert _ranking(rows) == _ranking_by_hand("Android")


def test_installs_by_channel_and_os_per_month(channel_installs):
    rows = InstallDayReport.objects.installs_by_channel_os(
        dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    )

    expected = sorted(
        [
            (dt.date(2025, 6, 1), name, os_name, n)
            for name, per_os in CHANNEL_INSTALLS.items()
            for os_name, n in per_os.items()
        ]
        + [(dt.date(2024, 6, 1), "zeta", "Android", 1)]
    )
    assert [(r["month"], r["channel_name"], r["os_name"], r["installs"]) for r in rows] == expected


def test_channel_funnel(settings):
    settings.TIME_ZONE = "UTC"
    paid, organic = (
        DimChannelFactory(channel_name="paid"),
        DimChannelFactory(channel_name="organic"),
    )
    DimChannelFactory(channel_name="unused")
    first_installs = {  # user -> (channel, first install)
        "ann": (paid, utc(2025, 2, 1)),
        "ben": (paid, utc(2025, 2, 2)),
        "cat": (paid, utc(2025, 2, 3)),
        "dan": (organic, utc(2025, 2, 4)),
        "eve": (organic, utc(2024, 12, 1)),  # eve: before range
    }
    for user, (channel, at) in first_installs.items():
        FactInstallFactory(user_id=user, channel=channel, installed_at=at)
    # ann reinstalls through organic later: her channel stays "paid"
    FactInstallFactory(user_id="ann", channel=organic, installed_at=utc(2025, 3, 1))
    payments = {"ann": [5000, 700, -700], "ben": [333], "dan": [1000], "eve": [9999]}
    for user, amounts in payments.items():
        customer = DimCustomerFactory(user_id=user)
        for number, amount in enumerate(amounts):
            FactTransactionFactory(
                customer=customer,
                occurred_at=utc(2025, 3, 1 + number),
                amount=amount,
                stripe_id=f"ch_{user}_{number}",
                transaction_type="refund" if amount < 0 else "charge",
            )
    DimCustomerFactory(user_id="cat")  # a customer who never paid
    services.refresh_customer_months()

    rows = AcquisitionReport.objects.channel_funnel(dt.date(2025, 1, 1), dt.date(2025, 12, 31))

    by_channel = defaultdict(lambda: {"installs": 0, "paying": 0, "net": 0})
    for user, (channel, at) in first_installs.items():
        if at >= utc(2025, 1, 1):
            by_channel[channel.channel_name]["installs"] += 1
            if user in payments:
                by_channel[channel.channel_name]["paying"] += 1
                by_channel[channel.channel_name]["net"] += sum(payments[user])

    def expected_row(name):
        totals = by_channel[name]
        return {
            "channel_name": name,
            "channel_label": name.title(),
            "installs": totals["installs"],
            "paying_customers": totals["paying"],
            "conversion_rate": rounded(Decimal(totals["paying"]) / totals["installs"], 6)
            if totals["installs"]
            else None,
            "net_revenue": totals["net"],
            "revenue_per_install": rounded(Decimal(totals["net"]) / totals["installs"], 2)
            if totals["installs"]
            else None,
            "net_revenue_per_paying_customer": rounded(Decimal(totals["net"]) / totals["paying"], 2)
            if totals["paying"]
            else None,
        }

    assert rows == [expected_row("paid"), expected_row("organic"), expected_row("unused")]
    assert rows[0]["conversion_rate"] == Decimal("0.666667")
