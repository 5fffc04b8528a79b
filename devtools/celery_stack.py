"""The processes of the Celery mode, for the tests and the benchmarks: a throwaway Redis
broker (its own redis-server on a free port, never the machine's shared one), the web server
(gunicorn), Celery workers and Celery beat, all on one PostgreSQL database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools.ports import free_port, wait_for_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _stop(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class RedisBroker:
    """`redis-server --port <free> --save ''`: started, killed and restarted by the test."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process, "redis-server", timeout=30)

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)


class CeleryStack:
    """Web, workers and beat with CELERY_BROKER_URL set, as README "Running at scale" runs
    them."""

    def __init__(
        self,
        database_url: str,
        stripe_api_url: str,
        broker: RedisBroker | None,
        settings_module: str = "tests.settings",
        wsgi: str = "stripe_dwh.wsgi",
        **env,
    ):
        self.broker = broker
        self.wsgi = wsgi
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url,
            "STRIPE_API_HOST": stripe_api_url,
            "CELERY_BROKER_URL": broker.url if broker else "",
            **{key: str(value) for key, value in env.items()},
        }
        self.web = None
        self.web_port = None
        self.workers: list[subprocess.Popen] = []
        self.beat = None
        self.logs = []

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(f"/tmp/stripe_dwh_{name}_{os.getpid()}_{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        self.logs.append(log)
        return subprocess.Popen(
            args,
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self, workers: int = 2, threads: int = 4) -> str:
        self.web_port = free_port()
        self.web = self._spawn(
            [
                str(BIN / "gunicorn"),
                self.wsgi,
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            "web",
        )
        wait_for_port(self.web_port, self.web, "gunicorn", timeout=60)
        return f"http://127.0.0.1:{self.web_port}"

    def start_worker(self, concurrency: int = 1) -> subprocess.Popen:
        worker = self._spawn(
            [
                str(BIN / "celery"),
                "-A",
                "stripe_dwh",
                "worker",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
                "--hostname",
                f"w{len(self.workers)}-{os.getpid()}@%h",
            ],
            "worker",
        )
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool children at once (no warm shutdown)."""
        _stop(worker, signal.SIGKILL)

    def start_beat(self, schedule_dir: Path) -> None:
        self.beat = self._spawn(
            [
                str(BIN / "celery"),
                "-A",
                "stripe_dwh",
                "beat",
                "--schedule",
                str(schedule_dir / "celerybeat-schedule"),
                "--loglevel",
                "INFO",
            ],
            "beat",
        )

    def stop(self) -> None:
        for process in [self.beat, *self.workers, self.web]:
            _stop(process)
        for log in self.logs:
            log.close()


def wait_until(condition, timeout: float, interval: float = 0.25, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not within {timeout:.0f} s: {message}")
