"""Run the whole demo: logins, demo data, the Stripe API double, the web server (and a live stream).

    python manage.py demo [--host 127.0.0.1] [--port 8000] [--stripe-port 8420]
                          [--live] [--interval 4] [--users N] [--seed N]

What `make demo` runs after `migrate`. Steps that read Stripe settings run as child
processes with the demo's environment (DEBUG off, Stripe pointed at the local double, a
known webhook secret; see devtools.demo.setup.demo_environment). Re-running reuses what is
there: users are updated, demo data already loaded is skipped. Ctrl-C stops every child.
"""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import NoReverseMatch, reverse

from devtools.demo import setup
from devtools.ports import wait_for_port

PROJECT_DIR = Path(settings.BASE_DIR)


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    try:
        wait_for_port(port, process, name)
    except RuntimeError as error:
        raise CommandError(str(error)) from error


def _login_path() -> str:
    """The reports' own login page when the reports app has one, else the admin's."""
    for name in ("reports:login", "admin:login"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/admin/login/"


class Command(BaseCommand):
    help = (
        "Serve the demo: admin and manager logins, an 18-month demo business, the Stripe API "
        "double and the web server; --live adds a stream of signed webhooks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--stripe-port",
            type=int,
            default=8420,
            help="Port of the local Stripe API double (default %(default)s).",
        )
        parser.add_argument(
            "--live",
            action="store_true",
            help="Keep a live stream of payments, failures and refunds going.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=4.0,
            help="Seconds between live events (default %(default)s).",
        )
        parser.add_argument("--users", type=int, default=None, help="Passed to load_demo_data.")
        parser.add_argument("--seed", type=int, default=None, help="Passed to load_demo_data.")
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Prepare everything (logins, data, endpoint) and exit without serving.",
        )

    def handle(
        self, *args, host, port, stripe_port, live, interval, users, seed, no_serve, **options
    ):
        self.children: list[tuple[str, subprocess.Popen]] = []
        # Ctrl-C (even when started from a shell that ignores SIGINT) and SIGTERM both stop
        # the demo and its children cleanly.
        previous_handlers = (
            signal.signal(signal.SIGINT, signal.default_int_handler),
            signal.signal(signal.SIGTERM, self._raise_interrupt),
        )
        try:
            self._demo(host, port, stripe_port, live, interval, users, seed, no_serve)
        finally:
            signal.signal(signal.SIGINT, previous_handlers[0])
            signal.signal(signal.SIGTERM, previous_handlers[1])

    def _demo(self, host, port, stripe_port, live, interval, users, seed, no_serve):
        env = setup.demo_environment(host, port, stripe_port)
        if not env.get("DATABASE_URL"):
            connection.ensure_connection()  # starts the embedded server and fills in HOST
            env["DATABASE_URL"] = setup.database_url(connection.settings_dict)
        base_url = env["PUBLIC_BASE_URL"]
        started = time.monotonic()
        if not no_serve:
            for name, bind_host, bind_port in (
                ("web server", host, port),
                ("Stripe API double", "127.0.0.1", stripe_port),
            ):
                if not _port_is_free(bind_host, bind_port):
                    raise CommandError(
                        f"Port {bind_port} for the {name} is in use (another demo running?). "
                        "Stop it, or choose other ports: make demo DEMO_PORT=8001 "
                        "STRIPE_DOUBLE_PORT=8421"
                    )

        if self._unapplied_migrations():  # `make demo` migrates first; `manage.py demo` may not
            self.stdout.write("Applying migrations…")
            call_command("migrate", interactive=False, verbosity=0)

        self.stdout.write("[1/4] Logins")
        logins = setup.ensure_demo_users()

        self.stdout.write("[2/4] Demo data")
        load_args = []
        if users is not None:
            load_args += ["--users", str(users)]
        if seed is not None:
            load_args += ["--seed", str(seed)]
        # Offline: no STRIPE_API_HOST, so a Stripe call, if anything made one, would fail
        # loudly instead of reaching the double.
        load_env = {key: value for key, value in env.items() if key != "STRIPE_API_HOST"}
        self._run_manage(["load_demo_data", *load_args], load_env)

        self.stdout.write("[3/4] Webhook endpoint")
        endpoint_url = setup.webhook_url(base_url)
        if "register_webhook_endpoint" in get_commands():
            self._run_manage(["register_webhook_endpoint"], env)
        else:
            setup.ensure_webhook_endpoint(
                endpoint_url,
                setup.DEMO_WEBHOOK_SECRET,
                setup.DEMO_WEBHOOK_UUID,
                setup.DEMO_WEBHOOK_ENDPOINT_ID,
            )
        if no_serve:
            self._banner(
                base_url,
                endpoint_url,
                stripe_port,
                logins,
                live=False,
                interval=interval,
                serving=False,
                seconds=time.monotonic() - started,
            )
            return

        self.stdout.write("[4/4] Stripe API double and web server")
        try:
            double = self._start(
                "Stripe API double",
                [sys.executable, "-m", "devtools.stripe_double", "--port", str(stripe_port)],
                env,
            )
            _wait_for_port(stripe_port, double, "Stripe API double")
            server = self._start(
                "web server",
                [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
                env,
            )
            _wait_for_port(port, server, "web server")
            self._banner(
                base_url,
                endpoint_url,
                stripe_port,
                logins,
                live=live,
                interval=interval,
                serving=True,
                seconds=time.monotonic() - started,
            )
            if live:
                self._start(
                    "live stream",
                    [sys.executable, "manage.py", "demo_stream", "--interval", str(interval)],
                    env,
                )
            while True:
                for name, process in self.children:
                    if process.poll() is not None:
                        raise CommandError(f"The {name} stopped (status {process.returncode}).")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo…")
        finally:
            self._stop_children()
        self.stdout.write("Demo stopped.")

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _unapplied_migrations() -> bool:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))

    @staticmethod
    def _raise_interrupt(signum, frame):
        raise KeyboardInterrupt

    def _run_manage(self, arguments: list[str], env: dict) -> None:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *arguments], cwd=PROJECT_DIR, env=env
        )
        try:
            returncode = process.wait()
        except KeyboardInterrupt:
            process.terminate()  # load_demo_data stops its workers on SIGTERM
            process.wait()
            raise CommandError(
                f"Interrupted during manage.py {arguments[0]}; run the demo again to resume."
            ) from None
        if returncode != 0:
            raise CommandError(f"manage.py {' '.join(arguments)} failed (status {returncode}).")

    def _start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env)
        self.children.append((name, process))
        return process

    def _stop_children(self) -> None:
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        for _name, process in reversed(self.children):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()

    def _banner(
        self, base_url, endpoint_url, stripe_port, logins, *, live, interval, serving, seconds
    ):
        lines = [
            "",
            f"stripe_dwh demo {'is serving' if serving else 'is ready'} (set up in {seconds:.0f} "
            f"s)",
            f"  Reports:   {base_url}/reports/   (overview/, ltv/, cohorts/, channels/, …)",
            f"  Admin:     {base_url}/admin/",
            f"  Log in:    {base_url}{_login_path()}",
        ]
        for username, password, role in logins:
            lines.append(f"  Login:     {username} / {password}   ({role})")
        lines += [
            f"  Webhooks:  {endpoint_url}   (signed with {setup.DEMO_WEBHOOK_SECRET})",
            f"  Stripe API double: http://127.0.0.1:{stripe_port}",
        ]
        if serving:
            lines.append(
                f"  Live stream: every {interval:g} s"
                if live
                else "  Live stream: off (make demo-live, or manage.py demo --live)"
            )
            lines.append("Press Ctrl-C to stop.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
