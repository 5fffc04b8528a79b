"""Failed logins are throttled (django-axes) on the reports login and the admin login, per
username and per address, and the lock-out expires (finding 6: sixty wrong passwords, then
the right one, logged in)."""

import datetime as dt
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGINS = ["reports:login", "admin:login"]


@pytest.fixture
def staff_manager(manager_user):
    manager_user.is_staff = True  # so that the admin login accepts the right password too
    manager_user.save()
    return manager_user


def _log_in(client, url_name, username, password, address="192.0.2.10"):
    return client.post(
        reverse(url_name), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url_name", LOGINS)
def test_wrong_passwords_lock_the_user_out_even_with_the_right_password(
    client, settings, staff_manager, url_name
):
    statuses = [
        _log_in(client, url_name, "manager", "wrong").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]  # form, then locked

    locked = _log_in(client, url_name, "manager", "manager-password-1")

    assert locked.status_code == 429
    assert not _logged_in(client)
    # The username is locked from another address too.
    assert (
        _log_in(client, url_name, "manager", "manager-password-1", "198.51.100.7").status_code
        == 429
    )


@pytest.mark.parametrize("url_name", LOGINS)
def test_one_address_trying_many_usernames_is_locked_out(client, settings, staff_manager, url_name):
    for number in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, url_name, f"guess-{number}", "wrong", address="203.0.113.9")

    from_that_address = _log_in(client, url_name, "manager", "manager-password-1", "203.0.113.9")
    elsewhere = _log_in(client, url_name, "manager", "manager-password-1", "198.51.100.7")

    assert from_that_address.status_code == 429
    assert elsewhere.status_code == 302 and _logged_in(client)


def test_lock_out_expires_after_the_cool_off_time(client, settings, staff_manager):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=2)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "reports:login", "manager", "wrong")
    assert _log_in(client, "reports:login", "manager", "manager-password-1").status_code == 429

    time.sleep(2.5)
    after = _log_in(client, "reports:login", "manager", "manager-password-1")

    assert after.status_code == 302 and _logged_in(client)


def test_fewer_failures_than_the_limit_do_not_lock(client, settings, staff_manager):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "reports:login", "manager", "wrong")

    assert _log_in(client, "reports:login", "manager", "manager-password-1").status_code == 302
