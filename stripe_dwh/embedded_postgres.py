"""The embedded PostgreSQL used when DATABASE_URL is not set.

`pgserver` ships PostgreSQL binaries inside its wheel, so a fresh machine with only
Python needs no database install. The data directory lives inside the checkout
(ignored by git) and the server is left running between commands so that
`manage.py`, the test runner and the web server all share it; `make db-stop` stops it.
"""

import warnings
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"

# Set when this process found the server stopped and started it, so that a short-lived
# owner (the test runner) can stop it again and leave no daemon behind.
started_by_this_process = False


def database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start the embedded server if it is not running and return its URL."""
    with warnings.catch_warnings():
        # platformdirs warns about an unset XDG_RUNTIME_DIR on headless machines; harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # imported late: deployments with DATABASE_URL never need it

    global started_by_this_process
    data_dir.mkdir(parents=True, exist_ok=True)
    was_running = (data_dir / "postmaster.pid").exists()
    # cleanup_mode=None: keep the server up after this process exits, because the
    # test runner, the dev server and management commands come and go.
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    started_by_this_process = started_by_this_process or not was_running
    return server.get_uri()


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    """Stop the embedded server (fast shutdown: open sessions are ended)."""
    import pgserver
    from pgserver._commands import pg_ctl

    if (data_dir / "postmaster.pid").exists():
        server = pgserver.get_server(data_dir, cleanup_mode=None)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=server.system_user)
