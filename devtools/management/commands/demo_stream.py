"""Keep live payments flowing into a running demo through signed webhooks.

    python manage.py demo_stream [--interval 4] [--count 0] [--webhook-url URL]

Every --interval seconds a customer pays, a payment fails or a customer is refunded in the
Stripe API double (STRIPE_API_HOST), and the event goes to the webhook endpoint signed with
STRIPE_WEBHOOK_SECRET. `manage.py demo --live` (`make demo-live`) runs it beside the server.
"""

import time

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from djstripe.settings import djstripe_settings

from devtools.demo.live import LiveStream
from devtools.demo.setup import webhook_url
from warehouse.models import DimCustomer, FactInstall


def _prospects(limit: int = 2000) -> list[str]:
    """App users who installed but never paid: the ones the live stream converts."""
    paying = DimCustomer.objects.exclude(user_id=None).values("user_id")
    return list(
        FactInstall.objects.exclude(user_id__in=paying)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()[:limit]
    )


class Command(BaseCommand):
    help = (
        "Make payments, failures and refunds in the Stripe API double "
        "and deliver their signed webhooks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=4.0,
            help="Seconds between events (default %(default)s).",
        )
        parser.add_argument(
            "--count",
            type=int,
            default=0,
            help="Stop after this many steps (default 0: until Ctrl-C).",
        )
        parser.add_argument(
            "--webhook-url",
            dest="url",
            default="",
            help="Default: PUBLIC_BASE_URL/stripe/webhook/STRIPE_WEBHOOK_UUID/.",
        )
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, interval, count, url: str, seed, **options):
        if not getattr(settings, "STRIPE_API_HOST", ""):
            raise CommandError(
                "STRIPE_API_HOST must point at the Stripe API double "
                "(python -m devtools.stripe_double); refusing to call Stripe itself."
            )
        if not settings.STRIPE_WEBHOOK_SECRET or not (url or settings.STRIPE_WEBHOOK_UUID):
            raise CommandError(
                "STRIPE_WEBHOOK_SECRET and STRIPE_WEBHOOK_UUID (or --webhook-url) are required."
            )
        if interval < 0:
            raise CommandError("--interval must not be negative.")
        stripe.api_base = settings.STRIPE_API_HOST
        url = url or webhook_url(settings.PUBLIC_BASE_URL, settings.STRIPE_WEBHOOK_UUID)
        stream = LiveStream(
            url,
            settings.STRIPE_WEBHOOK_SECRET,
            api_key=djstripe_settings.STRIPE_SECRET_KEY,
            user_ids=_prospects(),
            seed=seed,
            user_id_metadata_key=settings.WAREHOUSE_USER_ID_METADATA_KEY,
        )
        self.stdout.write(f"Live stream: an event every {interval:g} s to {url} (Ctrl-C stops)")
        steps = delivered = failed = 0
        try:
            while not count or steps < count:
                if steps:
                    time.sleep(interval)
                steps += 1
                try:
                    deliveries = stream.step()
                except (stripe.StripeError, OSError) as error:
                    failed += 1
                    self.stderr.write(f"  {time.strftime('%H:%M:%S')} step failed: {error}")
                    continue
                for delivery in deliveries:
                    ok = 200 <= delivery.status_code < 300
                    delivered += ok
                    failed += not ok
                    amount = f" ${delivery.amount / 100:.2f}" if delivery.amount else ""
                    line = (
                        f"  {time.strftime('%H:%M:%S')} {delivery.event_type:<17} "
                        f"{delivery.object_id}{amount} -> HTTP {delivery.status_code}"
                    )
                    self.stdout.write(line if ok else self.style.WARNING(line))
        except KeyboardInterrupt:
            pass
        finally:
            stream.close()
        self.stdout.write(f"Live stream stopped: {delivered} events delivered, {failed} failed.")
        if failed and count:
            raise CommandError(f"{failed} live events were not accepted.")
