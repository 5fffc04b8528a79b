"""The project's own checks: `check`, `check --deploy` with production variables, migrations in
sync,
and the DATABASE_URL path of the settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "q3Jx9-production-like-secret-key-that-is-long-and-random-8Kp2LmZ7vT4wR",
    "ALLOWED_HOSTS": "dwh.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dwh.example.com",
    "STRIPE_LIVE_MODE": "true",
    "STRIPE_LIVE_SECRET_KEY": "sk_live_" + "productionlikesecretkey012345",
    "STRIPE_LIVE_PUBLIC_KEY": "pk_live_" + "productionlikepublickey012345",
    "STRIPE_WEBHOOK_SECRET": "whsec_productionlikewebhooksecret",
    "STRIPE_WEBHOOK_UUID": "7d1c0b6e-2a4f-4c3d-9e8f-1a2b3c4d5e6f",
    "ATTRIBUTION_CALLBACK_TOKEN": "production-like-attribution-token-0123456789",
}


def manage(*args, env_overrides=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STRIPE_", "DEBUG"))}
    env["DJANGO_SETTINGS_MODULE"] = "stripe_dwh.settings"
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_system_check_is_clean():
    result = manage("check", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_the_development_defaults():
    # The same check must fail when the production variables are missing, or the test above
    # proves nothing.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides={"DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on in deployment


def test_missing_secret_key_with_debug_off_refuses_to_start():
    """Finding 2: the settings fell back to a hard-coded public key with DEBUG off."""
    result = manage("check", env_overrides={"SECRET_KEY": "", "DEBUG": "false"})

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_models_and_migrations_are_in_sync():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_database_url_is_used_when_set():
    """Point DATABASE_URL at the server the tests run on and see settings use that database."""
    db = settings.DATABASES["default"]
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        from urllib.parse import quote

        # django-environ's form for a Unix-socket directory: an empty host, the quoted path first.
        url = f"postgres://{db['USER']}@/{quote(host, safe='')}/{connection.settings_dict['NAME']}"
    else:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        url = (
            f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}"
            f"/{connection.settings_dict['NAME']}"
        )
    probe = (
        "from django.db import connection;"
        "cursor = connection.cursor();"
        "cursor.execute('select current_database()');"
        "print(cursor.fetchone()[0])"
    )

    result = manage("shell", "-c", probe, env_overrides={"DATABASE_URL": url})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == connection.settings_dict["NAME"]


def test_non_postgresql_database_url_is_refused():
    result = manage("check", env_overrides={"DATABASE_URL": "sqlite:///tmp/not-allowed.db"})
    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr
