"""The embedded PostgreSQL used when DATABASE_URL is not set.

`pgserver` ships PostgreSQL binaries inside its wheel, so a fresh machine with only
Python needs no database install. The data directory lives inside the checkout
(ignored by git) and the server is left running between commands so that
`manage.py`, the test runner and the web server all share it; `make db-stop` stops it.
"""

from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"


def database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start the embedded server if it is not running and return its URL."""
    import pgserver  # imported late: deployments with DATABASE_URL never need it

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: keep the server up after this process exits, because the
    # test runner, the dev server and management commands come and go.
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    return server.get_uri()


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    import pgserver

    if (data_dir / "postmaster.pid").exists():
        pgserver.get_server(data_dir, cleanup_mode="stop").cleanup()
