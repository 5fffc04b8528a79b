"""The embedded PostgreSQL used when DATABASE_URL is not set.

`pgserver` ships PostgreSQL binaries inside its wheel, so a fresh machine with only
Python needs no database install. The data directory lives inside the checkout
(ignored by git) and the server is left running between commands so that
`manage.py`, the test runner and the web server all share it; `make db-stop` stops it.
It starts when the first connection needs it (stripe_dwh/db_backend), not at settings load.

Only a process that finds the server stopped asks pgserver to start it (under a file
lock). Every other process reads the running server's socket from `postmaster.pid`:
pgserver records each caller in an unlocked JSON file that concurrent exits can leave
empty, after which every later call fails, so the fewer callers the better.
"""

import fcntl
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

# STRIPE_DWH_PGDATA moves it (the tests use a fresh one to see when a server starts).
DEFAULT_DATA_DIR = Path(
    os.environ.get("STRIPE_DWH_PGDATA") or Path(__file__).resolve().parent.parent / ".pgdata"
)

# Set when this process found the server stopped and started it, so that a short-lived
# owner (the test runner) can stop it again and leave no daemon behind.
started_by_this_process = False


def _import_pgserver():
    with warnings.catch_warnings():
        # platformdirs warns about an unset XDG_RUNTIME_DIR on headless machines; harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # imported late: deployments with DATABASE_URL never need it
        from pgserver._commands import pg_ctl
    return pgserver, pg_ctl


def running_socket_dir(data_dir: Path = DEFAULT_DATA_DIR) -> str | None:
    """The socket directory of the server running on data_dir, or None when none is ready.

    postmaster.pid lines: pid, data dir, start time, port, socket dir, listen address,
    shared memory key, status.
    """
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready" or not lines[4].strip():
        return None
    try:
        os.kill(int(lines[0]), 0)
    except PermissionError:
        pass  # alive, owned by the server's system user
    except (ProcessLookupError, ValueError):
        return None
    return lines[4].strip()


@contextmanager
def _start_lock(data_dir: Path):
    lock_path = data_dir.with_name(data_dir.name + ".lock")
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def socket_dir(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start the embedded server if it is not running and return its socket directory."""
    global started_by_this_process
    found = running_socket_dir(data_dir)
    if found is None:
        with _start_lock(data_dir):
            found = running_socket_dir(data_dir)
            if found is None:
                pgserver, _ = _import_pgserver()
                data_dir.mkdir(parents=True, exist_ok=True)
                # cleanup_mode=None: keep the server up after this process exits, because the
                # test runner, the dev server and management commands come and go.
                pgserver.get_server(data_dir, cleanup_mode=None)
                started_by_this_process = True
                found = running_socket_dir(data_dir)
    return found


def database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """Start the embedded server if it is not running and return its URL."""
    return f"postgresql://postgres:@/postgres?host={socket_dir(data_dir)}"


def stop(data_dir: Path = DEFAULT_DATA_DIR) -> None:
    """Stop the embedded server (fast shutdown: open sessions are ended)."""
    if running_socket_dir(data_dir) is None:
        return
    _, pg_ctl = _import_pgserver()
    # pgserver runs the server as its own system user when started by root.
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
