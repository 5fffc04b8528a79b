"""Concurrent writers extending dim_date to the same new day, over real HTTP.

Every install callback (and every webhook) first extends dim_date to its day. dim_date has
two unique keys, date_sk and date: an insert that skips conflicts on one of them only fails
with a unique violation on the other when two transactions add the same day at the same
instant. Each round releases a burst of callbacks for one day nobody has written yet, so
many writers race for its dim_date row; every callback must succeed and the day must be
stored once.
"""

import datetime as dt
import threading

import pytest
import requests
from django.conf import settings
from django.urls import reverse

from warehouse.models import DimDate, FactInstall

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROUNDS = 300
WRITERS = 8
FIRST_DAY = dt.date(2019, 1, 1)  # before any other test data; a fresh day per round


def _burst(url: str, day: dt.date, round_number: int) -> list[int | str]:
    """POST one install callback for `day` from each writer thread, released together."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list[int | str] = [""] * WRITERS

    def post(writer: int) -> None:
        with requests.Session() as session:
            barrier.wait(timeout=30)
            try:
                response = session.post(
                    url,
                    json={
                        "install_id": f"race-{round_number}-{writer}",
                        "user_id": f"race-user-{round_number}-{writer}",
                        "installed_at": f"{day.isoformat()}T08:00:00+00:00",
                        "os_name": "Android",
                        "channel_name": "search",
                    },
                    headers={"Authorization": f"Bearer {settings.ATTRIBUTION_CALLBACK_TOKEN}"},
                    timeout=60,
                )
                outcomes[writer] = response.status_code
            except requests.RequestException as exc:  # reported in the assertion below
                outcomes[writer] = repr(exc)

    threads = [threading.Thread(target=post, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_callbacks_for_a_new_day_all_succeed_and_store_the_day_once(live_server):
    url = live_server.url + reverse("warehouse:install_callback")
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(ROUNDS)]
    assert not DimDate.objects.filter(date__in=days).exists()

    outcomes = {day: _burst(url, day, n) for n, day in enumerate(days)}

    failed = {day: codes for day, codes in outcomes.items() if set(codes) != {201}}
    assert not failed, f"callbacks that did not answer 201: {failed}"
    assert FactInstall.objects.count() == ROUNDS * WRITERS
    stored = list(DimDate.objects.filter(date__in=days).values_list("date_sk", "date"))
    assert sorted(stored) == [(int(day.strftime("%Y%m%d")), day) for day in days]
