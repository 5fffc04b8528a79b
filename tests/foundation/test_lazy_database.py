"""The embedded PostgreSQL starts on the first connection, never when settings load.

Each check runs the project's own settings in a child process pointed at a fresh data
directory (STRIPE_DWH_PGDATA), so "a server started" is visible as that directory and its
postmaster.pid appearing.
"""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest
from django.db import connection

from stripe_dwh import embedded_postgres

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_data_dir():
    # Inside the checkout, not tmp_path: as root, pgserver runs the server as its own user,
    # which cannot enter pytest's private temporary directory.
    data_dir = PROJECT_DIR / f".pgdata-lazy-test-{uuid.uuid4().hex[:8]}"
    yield data_dir
    embedded_postgres.stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.with_name(data_dir.name + ".lock").unlink(missing_ok=True)


def run(args, data_dir, database_url=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "stripe_dwh.settings"
    env["STRIPE_DWH_PGDATA"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The last line: `shell` prints its auto-import summary first.
    return (result.stdout.strip().splitlines() or [""])[-1]


QUERY = (
    "import sys;"
    "from django.db import connection;"
    "cursor = connection.cursor();"
    "cursor.execute('select 41 + 1');"
    "print(cursor.fetchone()[0], 'pgserver' in sys.modules)"
)


def test_django_setup_and_check_start_no_server_and_the_first_query_does(fresh_data_dir):
    run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; settings.DATABASES",
        ],
        fresh_data_dir,
    )
    run(["manage.py", "check"], fresh_data_dir)
    assert not fresh_data_dir.exists()
    assert embedded_postgres.running_socket_dir(fresh_data_dir) is None

    output = run(["manage.py", "shell", "-c", QUERY], fresh_data_dir)

    assert output.split()[0] == "42"
    assert (fresh_data_dir / "postmaster.pid").exists()
    assert embedded_postgres.running_socket_dir(fresh_data_dir) is not None


@pytest.mark.django_db
def test_database_url_never_touches_pgserver(fresh_data_dir):
    """With DATABASE_URL (here: the server the tests run on) a query neither starts an
    embedded server nor imports pgserver."""
    db = connection.settings_dict
    host = db["HOST"]
    if host.startswith("/"):
        url = f"postgres://{db['USER']}@/{db['NAME']}?host={host}"
    else:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        url = f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"

    output = run(["manage.py", "shell", "-c", QUERY], fresh_data_dir, database_url=url)

    assert output.split() == ["42", "False"]
    assert not fresh_data_dir.exists()


@pytest.mark.django_db
def test_djstripe_database_checks_still_query_a_running_server():
    """dj-stripe's checks that read WebhookEndpoint (here: its empty-secret warning) still
    report on a running server, with and without `--database`."""
    from django.core import checks
    from djstripe.models import WebhookEndpoint

    WebhookEndpoint.objects.create(
        id="we_empty_secret",
        livemode=False,
        url="https://example.com/hook",
        secret="",
        enabled_events=["*"],
    )

    assert "djstripe.W005" in {m.id for m in checks.run_checks(databases=["default"])}
    assert "djstripe.W005" in {m.id for m in checks.run_checks()}


SETTINGS_QUERY = (
    "from django.db import connection;"
    "cursor = connection.cursor();"
    "cursor.execute(\"select string_agg(name || '=' || pg_size_bytes(current_setting(name)), ' '"
    " order by name) from unnest(array['shared_buffers', 'work_mem', 'effective_cache_size'])"
    ' as name");'
    "print(cursor.fetchone()[0])"
)


def test_the_embedded_server_runs_with_the_analytics_settings(fresh_data_dir):
    """From its first start (pgserver creates the data directory), and after a restart."""
    memory = psutil.virtual_memory().total
    # the documented sizing (stripe_dwh/embedded_postgres.analytics_settings), in bytes
    mb = 2**20
    expected = {
        "effective_cache_size": max(512, min(16384, memory // mb // 2)) * mb,
        "shared_buffers": max(128, min(1024, memory // mb // 16)) * mb,
        "work_mem": max(8, min(64, memory // mb // 512)) * mb,
    }
    assert expected["work_mem"] != 4 * mb  # PostgreSQL's default: the check would prove nothing

    for _start in ("first", "again"):
        output = run(["manage.py", "shell", "-c", SETTINGS_QUERY], fresh_data_dir)
        embedded_postgres.stop(fresh_data_dir)

        running = dict(pair.split("=") for pair in output.split())
        assert {name: int(size) for name, size in running.items()} == expected
