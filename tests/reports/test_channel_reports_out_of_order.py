"""The channel reports when installs arrive out of order: an earlier install stored later
moves its user's acquisition channel, and every install counts once per day."""

import datetime as dt
from collections import Counter

import pytest

from reports.models import AcquisitionReport, InstallDayReport
from tests.factories import DimChannelFactory, DimClientFactory, FactInstallFactory, utc
from warehouse.services.installs import upsert_install

pytestmark = pytest.mark.django_db

# (install_id, user_id, channel, os_name, installed_at) in arrival order
ARRIVALS = [
    ("a-2", "amy", "paid", "Android", utc(2025, 4, 10)),
    ("b-1", "bea", "paid", "iOS", utc(2025, 4, 11)),
    ("a-1", "amy", "organic", "iOS", utc(2025, 2, 20)),  # amy's real first install, late
    ("c-1", "cal", "organic", "Android", utc(2025, 4, 12)),
    ("b-0", "bea", "referral", "Android", utc(2025, 4, 11)),  # same moment as b-1, smaller id
]


@pytest.fixture
def out_of_order_installs(settings):
    settings.TIME_ZONE = "UTC"
    channels = {
        name: DimChannelFactory(channel_name=name) for name in ("organic", "paid", "referral")
    }
    clients = {os_name: DimClientFactory(os_name=os_name) for os_name in ("Android", "iOS")}
    for install_id, user_id, channel, os_name, at in ARRIVALS:
        FactInstallFactory(
            install_id=install_id,
            user_id=user_id,
            channel=channels[channel],
            client=clients[os_name],
            installed_at=at,
        )
    # a callback repeating an install changes nothing
    android = clients["Android"]
    assert not upsert_install(
        {
            "install_id": "a-2",
            "user_id": "amy",
            "device_id": "",
            "installed_at": utc(2025, 4, 10),
            "os_name": "Android",
            "app_name": android.app_name,
            "app_version": android.app_version,
            "device_name": android.device_name,
            "channel_name": "paid",
            "channel_group": "",
            "channel_label": "",
            "country_code": "",
            "network_name": "",
            "campaign_name": "",
            "adgroup_name": "",
            "creative_name": "",
            "campaign_id": "",
            "adgroup_id": "",
            "creative_id": "",
            "ip_address": None,
        }
    )


def _first_install_channels(first_day, last_day):
    first = {}
    for install_id, user_id, channel, _, at in ARRIVALS:
        if user_id not in first or (at, install_id) < first[user_id][:2]:
            first[user_id] = (at, install_id, channel)
    return Counter(
        channel for at, _, channel in first.values() if first_day <= at.date() <= last_day
    )


@pytest.mark.parametrize(
    "first_day,last_day",
    [(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), (dt.date(2025, 4, 1), dt.date(2025, 4, 30))],
)
def test_funnel_uses_each_users_earliest_install(out_of_order_installs, first_day, last_day):
    rows = AcquisitionReport.objects.channel_funnel(first_day, last_day)

    expected = _first_install_channels(first_day, last_day)
    assert {row["channel_name"]: row["installs"] for row in rows} == {
        name: expected.get(name, 0) for name in ("organic", "paid", "referral")
    }


def test_install_counts_count_every_install_once(out_of_order_installs):
    by_month = Counter(
        (at.date().replace(day=1), channel, os_name) for _, _, channel, os_name, at in ARRIVALS
    )
    rows = InstallDayReport.objects.installs_by_channel_os(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    )
    assert {(r["month"], r["channel_name"], r["os_name"]): r["installs"] for r in rows} == by_month

    top = InstallDayReport.objects.top_channels_by_os(
        "android", 3, first_day=dt.date(2025, 4, 1), last_day=dt.date(2025, 4, 30)
    )
    april = [(channel, os_name) for _, _, channel, os_name, at in ARRIVALS if at.month == 4]
    expected = sorted(
        (
            (
                sum(1 for c, o in april if c == name and o == "Android"),
                sum(1 for c, _ in april if c == name),
                name,
            )
            for name in ("organic", "paid", "referral")
        ),
        key=lambda item: (-item[0], -item[1], item[2]),
    )
    assert [(r["os_installs"], r["total_installs"], r["channel_name"]) for r in top] == expected
