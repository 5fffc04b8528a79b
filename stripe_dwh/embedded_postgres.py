"""The embedded PostgreSQL used when DATABASE_URL is not set.

`pgserver` ships PostgreSQL binaries inside its wheel, so a fresh machine with only
Python needs no database install. The data directory lives inside the checkout
(ignored by git) and the server is left running between commands so that
`manage.py`, the test runner and the web server all share it; `make db-stop` stops it.
It starts when the first connection needs it (stripe_dwh/db_backend), not at settings load.

It runs with settings for an analytics workload sized from the machine's memory
(`analytics_settings`, written to `stripe_dwh.conf` in the data directory before each start;
a new data directory is started once more so they apply from the first connection on).

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

SETTINGS_FILE = "stripe_dwh.conf"
MB = 2**20


def _clamp(value: int, lowest: int, highest: int) -> int:
    return max(lowest, min(highest, value))


def analytics_settings(total_memory: int | None = None) -> dict[str, str]:
    """PostgreSQL settings for the reports' workload: memory, from the machine's, and JIT.

    The embedded server shares a user's machine with a browser and an editor, so it takes a
    modest share, with floors so a small machine still aggregates in memory and caps
    beyond which more memory buys these tables nothing:
    - shared_buffers, the server's own cache: 1/16 of memory, 128 MB to 1 GB (PostgreSQL's
      default is 128 MB whatever the machine);
    - work_mem, per sort or hash step of a query (a report runs a few at once): 1/512 of
      memory, 8 MB to 64 MB (default 4 MB, which sends the marts' and reports' grouping
      and sorting of a million rows to disk);
    - effective_cache_size, what the planner may assume the OS caches: half of memory,
      512 MB to 16 GB (default 4 GB). A hint only: nothing is allocated.
    And, whatever the memory, jit off: the report queries read marts and return a few
    hundred rows, but a plan over a large table passes jit_above_cost (100,000) and
    PostgreSQL then spends hundreds of milliseconds compiling it (home's month-to-date query
    at a million charges: 528 of its 734 ms; docs/benchmarks.md, issue 17).
    """
    if total_memory is None:
        total_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    memory_mb = total_memory // MB
    return {
        "shared_buffers": f"{_clamp(memory_mb // 16, 128, 1024)}MB",
        "work_mem": f"{_clamp(memory_mb // 512, 8, 64)}MB",
        "effective_cache_size": f"{_clamp(memory_mb // 2, 512, 16384)}MB",
        "jit": "off",
    }


def write_settings(data_dir: Path) -> None:
    """Write analytics_settings to the data directory and include them from postgresql.conf
    (once); they take effect at the next start."""
    lines = ["# written by stripe_dwh/embedded_postgres.py at each start: edits are lost"]
    lines += [f"{name} = '{value}'" for name, value in analytics_settings().items()]
    (data_dir / SETTINGS_FILE).write_text("\n".join(lines) + "\n")
    main_conf = data_dir / "postgresql.conf"
    include = f"include_if_exists = '{SETTINGS_FILE}'"
    if include not in main_conf.read_text():
        with main_conf.open("a") as conf:
            conf.write(
                f"\n# stripe_dwh: analytics settings sized from the machine's memory\n{include}\n"
            )


def _server_user() -> str | None:
    # pgserver runs the server as its own system user when started by root.
    return "pgserver" if os.geteuid() == 0 else None


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
                pgserver, pg_ctl = _import_pgserver()
                data_dir.mkdir(parents=True, exist_ok=True)
                initialised = (data_dir / "PG_VERSION").exists()
                if initialised:
                    write_settings(data_dir)
                # cleanup_mode=None: keep the server up after this process exits, because the
                # test runner, the dev server and management commands come and go.
                pgserver.get_server(data_dir, cleanup_mode=None)
                if not initialised:
                    # pgserver creates the data directory and starts it in one call: restart
                    # once with the settings (postmaster.opts keeps pgserver's socket options)
                    write_settings(data_dir)
                    pg_ctl(
                        ["-w", "-m", "fast", "-l", str(data_dir / "log"), "restart"],
                        pgdata=data_dir,
                        user=_server_user(),
                        timeout=60,
                    )
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
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=_server_user())
