"""The demo's logins, environment and database URL."""

import environ
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from devtools.demo import setup


@pytest.mark.django_db
def test_demo_users_are_created_once_with_the_printed_passwords_even_without_the_group():
    Group.objects.filter(name="Managers").delete()

    setup.ensure_demo_users()
    logins = setup.ensure_demo_users()  # a second run reuses the rows

    User = get_user_model()
    assert User.objects.count() == 2
    for username, password, _ in logins:
        assert User.objects.get(username=username).check_password(password)
    admin, manager = User.objects.get(username="admin"), User.objects.get(username="manager")
    assert admin.is_superuser and admin.is_staff
    assert not manager.is_staff and manager.has_perm("reports.view_reports")
    assert list(manager.groups.values_list("name", flat=True)) == ["Managers"]


def test_demo_environment_points_stripe_at_the_double_and_overrides_real_settings():
    env = setup.demo_environment(
        "127.0.0.1",
        8000,
        8420,
        base={
            "DEBUG": "true",
            "STRIPE_TEST_SECRET_KEY": "sk_test_real",
            "DATABASE_URL": "postgres://x@y/z",
        },
    )

    assert env["STRIPE_API_HOST"] == "http://127.0.0.1:8420"
    assert env["STRIPE_TEST_SECRET_KEY"] == setup.DEMO_API_KEY and env["DEBUG"] == "false"
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:8000"
    assert env["DATABASE_URL"] == "postgres://x@y/z"  # the user's database is kept
    assert len(env["SECRET_KEY"]) >= 50  # generated: the base had none


def test_demo_environment_keeps_the_callers_secret_key():
    env = setup.demo_environment("127.0.0.1", 8000, 8420, base={"SECRET_KEY": "k" * 60})

    assert env["SECRET_KEY"] == "k" * 60


@pytest.mark.parametrize(
    "settings_dict, expected",
    [
        (
            {"NAME": "stripe dwh", "USER": "postgres", "HOST": "/srv/my data/.pgdata", "PORT": ""},
            {"NAME": "stripe dwh", "USER": "postgres", "OPTIONS": {"host": "/srv/my data/.pgdata"}},
        ),
        (
            {
                "NAME": "dwh",
                "USER": "app",
                "PASSWORD": "s3cr:t",
                "HOST": "db.internal",
                "PORT": 5433,
            },
            {
                "NAME": "dwh",
                "USER": "app",
                "PASSWORD": "s3cr:t",
                "HOST": "db.internal",
                "PORT": 5433,
            },
        ),
    ],
)
def test_database_url_reads_back_as_the_same_connection(settings_dict, expected, monkeypatch):
    monkeypatch.setenv("DEMO_TEST_DATABASE_URL", setup.database_url(settings_dict))

    parsed = environ.Env().db("DEMO_TEST_DATABASE_URL")

    assert {key: parsed[key] for key in expected} == expected
