"""Load a generated demo business the way production data arrives.

Installs go through the install import path (`import_installs` on a CSV file in the README's
format). Stripe objects (the catalog first, then per customer its payment methods,
subscriptions, discounts, payment intents, charges, disputes, invoices and invoice items)
go through dj-stripe's own `sync_from_stripe_data`, so dj-stripe's
tables and, through its post_save signals, the warehouse fill exactly as with webhooks. The
objects carry their balance transactions and refunds expanded and reference only objects
synced before them, so dj-stripe never needs the Stripe API while loading (it still asks
for each product's features, and shrugs when offline: the demo's products have none).

One customer (with its payment methods, charges, refunds and disputes) is one transaction,
and customers are spread over worker processes with their own database connections. A
customer row therefore means the whole customer is loaded, which is what makes a re-run (or
a run after an interruption) load only what is missing.
"""

import contextlib
import csv
import json
import logging
import multiprocessing
import signal
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.db import connections, transaction

from devtools.billing.sync import as_stripe_object
from devtools.demo.generator import INSTALL_FIELDS, DemoBusiness, DemoConfig

# The Stripe account the demo's objects belong to: the double's, so live events match.
DEMO_BATCH_METADATA_KEY = "demo_batch"
CHUNK_SIZE = 10


class DemoDataConflict(Exception):
    """Demo data generated with other options is already in the database."""


@dataclass
class LoadResult:
    installs_total: int
    installs_imported: int
    customers_total: int
    customers_loaded: int
    charges_loaded: int
    seconds: float


def batch_label(config: DemoConfig) -> str:
    """What identifies one generated business; kept in each demo customer's metadata."""
    return json.dumps(
        {
            "seed": config.seed,
            "users": config.users,
            "months": config.months,
            "end": config.end_moment().isoformat(),
        },
        sort_keys=True,
    )


def existing_batch() -> dict | None:
    """The options of the demo business already loaded, if any."""
    from djstripe.models import Customer

    metadata = (
        Customer.objects.filter(**{f"metadata__{DEMO_BATCH_METADATA_KEY}__isnull": False})
        .values_list("metadata", flat=True)
        .first()
    )
    return json.loads(metadata[DEMO_BATCH_METADATA_KEY]) if metadata else None


def ensure_demo_account(api_key: str) -> None:
    """dj-stripe's Account and APIKey rows for the demo, created offline.

    dj-stripe asks Stripe (`GET /v1/account`) which account an API key belongs to before it
    stores any object; answering from the double's account payload keeps loading offline
    and makes the historical objects and the live ones (from the double) share one account.
    """
    from djstripe.models import Account, APIKey

    with warnings.catch_warnings():
        # localstripe registers plain-function routes at import; aiohttp deprecates those.
        warnings.simplefilter("ignore", DeprecationWarning)
        from devtools.stripe_double import account_payload

    payload = account_payload()
    with transaction.atomic():
        account, _ = Account.objects.get_or_create(
            id=payload["id"], defaults={"livemode": False, "stripe_data": payload}
        )
        key, _ = APIKey.objects.get_or_create_by_api_key(api_key)
        if key.djstripe_owner_account_id is None:
            key.djstripe_owner_account = account
            key.save()
    if not account.stripe_data.get("object"):
        Account.sync_from_stripe_data(payload, api_key=api_key)


def write_installs_csv(business: DemoBusiness, path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INSTALL_FIELDS)
        writer.writeheader()
        writer.writerows(business.installs)
    return path


def missing_install_count(business: DemoBusiness) -> int:
    from warehouse.models import FactInstall

    ids = [row["install_id"] for row in business.installs]
    return len(ids) - FactInstall.objects.filter(install_id__in=ids).count()


def import_installs(business: DemoBusiness, stdout=None) -> int:
    """Run `import_installs` on the business's install file; returns how many were missing."""
    missing = missing_install_count(business)
    if missing:
        with tempfile.TemporaryDirectory(prefix="stripe_dwh_demo_") as directory:
            path = write_installs_csv(business, Path(directory) / "demo_installs.csv")
            call_command("import_installs", str(path), format="csv", stdout=stdout)
    return missing


def sync_catalog(business: DemoBusiness, api_key: str) -> None:
    """Products, prices and coupons, once, before the customers that use them."""
    from djstripe.models import Coupon, Price, Product

    with transaction.atomic():
        for product in business.catalog.get("products", []):
            # dj-stripe asks Stripe for the product's features after each product sync and
            # logs the failure when offline; the demo's products have none.
            with _quiet_logger("djstripe.models.base"):
                Product.sync_from_stripe_data(product, api_key=api_key)
        for price in business.catalog.get("prices", []):
            Price.sync_from_stripe_data(price, api_key=api_key)
        for coupon in business.catalog.get("coupons", []):
            Coupon.sync_from_stripe_data(coupon, api_key=api_key)


@contextlib.contextmanager
def _quiet_logger(name: str):
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def sync_customer(demo_customer, api_key: str) -> int:
    """Sync one customer's objects through dj-stripe in one transaction; returns charges.

    Order: whatever an object refers to is synced before it, so dj-stripe never fetches.
    """
    from djstripe.models import (
        BalanceTransaction,
        Charge,
        Customer,
        Discount,
        Dispute,
        Invoice,
        InvoiceItem,
        PaymentIntent,
        PaymentMethod,
        Subscription,
    )

    with transaction.atomic():
        Customer.sync_from_stripe_data(demo_customer.customer, api_key=api_key)
        for payment_method in demo_customer.payment_methods:
            PaymentMethod.sync_from_stripe_data(payment_method, api_key=api_key)
        for subscription in demo_customer.subscriptions:
            # A StripeObject, as from the API: dj-stripe pages through its items.
            Subscription.sync_from_stripe_data(as_stripe_object(subscription), api_key=api_key)
        for discount in demo_customer.discounts:
            Discount.sync_from_stripe_data(discount, api_key=api_key)
        for payment_intent in demo_customer.payment_intents:
            PaymentIntent.sync_from_stripe_data(payment_intent, api_key=api_key)
        # Each charge in its final state, refunds expanded (dj-stripe syncs them with it).
        for charge in demo_customer.charges:
            Charge.sync_from_stripe_data(charge, api_key=api_key)
        for dispute in demo_customer.disputes:
            # Balance transactions first, so the dispute's own signal finds its money.
            for balance_transaction in dispute["balance_transactions"]:
                BalanceTransaction.sync_from_stripe_data(balance_transaction, api_key=api_key)
            Dispute.sync_from_stripe_data(dispute, api_key=api_key)
        for invoice in demo_customer.invoices:
            Invoice.sync_from_stripe_data(as_stripe_object(invoice), api_key=api_key)
        for invoiceitem in demo_customer.invoiceitems:
            InvoiceItem.sync_from_stripe_data(invoiceitem, api_key=api_key)
    return len(demo_customer.charges)


# Set in the parent before forking; workers read it from their copy of the memory.
_WORKER_STATE: dict = {}


def _sync_chunk(indices: list[int]) -> tuple[int, int]:
    customers, api_key = _WORKER_STATE["customers"], _WORKER_STATE["api_key"]
    charges = sum(sync_customer(customers[i], api_key) for i in indices)
    return len(indices), charges


def _quiet_worker_signals() -> None:
    # The parent handles Ctrl-C and stops the pool (SIGTERM): workers just end, each
    # uncommitted customer transaction rolling back with its connection.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def pending_customers(business: DemoBusiness) -> list:
    from djstripe.models import Customer

    ids = [c.customer["id"] for c in business.customers]
    loaded = set(Customer.objects.filter(id__in=ids).values_list("id", flat=True))
    return [c for c in business.customers if c.customer["id"] not in loaded]


def sync_customers(
    customers: list,
    api_key: str,
    *,
    workers: int = 1,
    progress: Callable[[int, int, int], None] | None = None,
) -> int:
    """Sync customers (in parallel when workers > 1); returns the number of charges."""
    chunks = [
        list(range(i, min(i + CHUNK_SIZE, len(customers))))
        for i in range(0, len(customers), CHUNK_SIZE)
    ]
    done_customers = done_charges = 0
    _WORKER_STATE.update(customers=customers, api_key=api_key)
    try:
        if workers <= 1 or len(chunks) <= 1:
            results = map(_sync_chunk, chunks)
            pool = None
        else:
            # Forked workers must not share the parent's socket: closed here, each worker
            # opens its own connection on its first query.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(
                workers, initializer=_quiet_worker_signals
            )
            results = pool.imap_unordered(_sync_chunk, chunks)
        try:
            for chunk_customers, chunk_charges in results:
                done_customers += chunk_customers
                done_charges += chunk_charges
                if progress:
                    progress(done_customers, len(customers), done_charges)
        except BaseException:
            if pool is not None:
                pool.terminate()  # do not wait for the other chunks after a failure or Ctrl-C
            raise
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    finally:
        _WORKER_STATE.clear()
    return done_charges


def load(
    business: DemoBusiness,
    api_key: str,
    *,
    workers: int = 1,
    stdout=None,
    progress: Callable[[int, int, int], None] | None = None,
) -> LoadResult:
    """Load the business (what is not loaded yet); see the module docstring."""
    started = time.monotonic()
    label = batch_label(business.config)
    for demo_customer in business.customers:
        demo_customer.customer["metadata"][DEMO_BATCH_METADATA_KEY] = label

    ensure_demo_account(api_key)
    sync_catalog(business, api_key)
    installs_imported = import_installs(business, stdout=stdout)
    pending = pending_customers(business)
    charges = sync_customers(pending, api_key, workers=workers, progress=progress)
    return LoadResult(
        installs_total=len(business.installs),
        installs_imported=installs_imported,
        customers_total=len(business.customers),
        customers_loaded=len(pending),
        charges_loaded=charges,
        seconds=time.monotonic() - started,
    )
