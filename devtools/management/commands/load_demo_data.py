"""Load a reproducible demo business: app installs and 18 months of Stripe history.

    python manage.py load_demo_data [--users 5000] [--months 18] [--seed 20240601]
                                    [--end 2026-11-27T12:00:00+00:00] [--workers N]

Installs go through `import_installs`; the Stripe objects (customers, card payment
methods, charges, refunds, disputes and their balance transactions) through dj-stripe's
`sync_from_stripe_data`, so the warehouse fills through the production signals. Nothing
calls the Stripe API. Re-running loads only what is missing (nothing when all is there);
options left
out take the values the loaded demo data was generated with.
"""

import datetime as dt
import os
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from djstripe.settings import djstripe_settings

from devtools.demo import generator, loader
from devtools.demo.setup import DEMO_API_KEY


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"--end: {error} (expected ISO 8601, e.g. 2026-11-27T12:00:00+00:00)"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Load a reproducible demo business (installs across channels and 18 months of "
        "Stripe payments, refunds and disputes) through the production import and sync paths."
    )

    def add_arguments(self, parser):
        # Options left out take the values of the demo data already loaded, if any.
        parser.add_argument(
            "--users",
            type=int,
            default=None,
            help=f"App users (installing people); about a third pay. Default "
            f"{generator.DEFAULT_USERS}.",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=None,
            help=f"Months of history up to --end. Default {generator.DEFAULT_MONTHS}.",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help=f"Random seed: same seed and end, same business. Default "
            f"{generator.DEFAULT_SEED}.",
        )
        parser.add_argument(
            "--end", type=_moment, default=None, help="End of the history (ISO 8601). Default: now."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Parallel processes syncing customers. Default: CPU count (%(default)s).",
        )

    def handle(self, *args, users, months, seed, end, workers, **options):
        previous = loader.existing_batch()
        loaded = previous or {}
        users = users if users is not None else loaded.get("users", generator.DEFAULT_USERS)
        months = months if months is not None else loaded.get("months", generator.DEFAULT_MONTHS)
        seed = seed if seed is not None else loaded.get("seed", generator.DEFAULT_SEED)
        if end is None:
            end = (
                dt.datetime.fromisoformat(loaded["end"])
                if previous
                else dt.datetime.now(dt.UTC).replace(microsecond=0)
            )
        if users < 1 or months < 1 or workers < 1:
            raise CommandError("--users, --months and --workers must be at least 1.")
        if djstripe_settings.STRIPE_LIVE_MODE:
            raise CommandError("Refusing to load demo data with STRIPE_LIVE_MODE on.")
        # Any well-formed test key serves: loading never reaches Stripe.
        api_key = djstripe_settings.STRIPE_SECRET_KEY or DEMO_API_KEY
        if not api_key.startswith("sk_test_"):
            raise CommandError("Demo data needs a test-mode secret key (sk_test_…).")

        config = generator.DemoConfig(
            users=users,
            months=months,
            seed=seed,
            end=end,
            user_id_metadata_key=settings.WAREHOUSE_USER_ID_METADATA_KEY,
        )
        if previous and _batch_key(previous) != _batch_key(
            {"seed": seed, "users": users, "months": months, "end": config.end_moment().isoformat()}
        ):
            raise CommandError(
                f"Demo data generated with other options is already loaded ({previous}); "
                "load into a fresh database, or run again with those options."
            )

        started = time.monotonic()
        self.stdout.write(
            f"Generating the demo business (seed {seed}, {users} users, {months} months "
            f"up to {config.end_moment():%Y-%m-%d %H:%M} UTC)…"
        )
        business = generator.generate(config)
        self.stdout.write(
            f"  {len(business.installs)} installs, {len(business.customers)} customers, "
            f"{business.subscription_count} subscriptions, {business.invoice_count} invoices, "
            f"{business.charge_count} charges generated in {time.monotonic() - started:.1f} s"
        )
        step = max(1, len(business.customers) // 20)
        last_reported = [0]

        def progress(done, total, charges):
            if done - last_reported[0] >= step or done == total:
                last_reported[0] = done
                self.stdout.write(
                    f"  synced {done}/{total} customers ({charges} charges) "
                    f"{time.monotonic() - started:.0f} s"
                )

        self.stdout.write(
            f"Importing installs and syncing Stripe objects through dj-stripe "
            f"({workers} worker{'s' if workers > 1 else ''})…"
        )
        # Ctrl-C or SIGTERM (from `demo`) stop the workers too, keeping what is committed.
        previous_handlers = (
            signal.signal(signal.SIGINT, signal.default_int_handler),
            signal.signal(signal.SIGTERM, _interrupt),
        )
        try:
            result = loader.load(
                business, api_key, workers=workers, stdout=self.stdout, progress=progress
            )
        except CommandError:
            raise
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted; customers synced so far are kept, run again to load the rest."
            ) from None
        except Exception as error:  # a worker's traceback is in the chained exception
            raise CommandError(f"Loading demo data failed: {error!r}") from error
        finally:
            signal.signal(signal.SIGINT, previous_handlers[0])
            signal.signal(signal.SIGTERM, previous_handlers[1])

        if not result.installs_imported and not result.customers_loaded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data already loaded ({result.installs_total} installs, "
                    f"{result.customers_total} customers); nothing to do."
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {result.installs_imported}/{result.installs_total} installs "
                f"imported, "
                f"{result.customers_loaded}/{result.customers_total} customers with "
                f"{result.charges_loaded} charges synced in {time.monotonic() - started:.1f} s."
            )
        )


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _batch_key(options: dict) -> tuple:
    """What must match for loaded demo data to be this run's: seed, size and end."""
    return (
        options["seed"],
        options["users"],
        options["months"],
        dt.datetime.fromisoformat(options["end"]),
    )
