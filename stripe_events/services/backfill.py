"""Backfill Stripe objects created in a range, for gaps older than the 30 days of Stripe's
event log: list them from the API and sync each through dj-stripe (whose saves feed the
warehouse, as for webhooks). Resumable: BackfillProgress keeps the last object synced per
(object type, range), and a rerun continues after it; a finished range is skipped.
"""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from djstripe import models as djstripe_models
from djstripe.settings import djstripe_settings

from stripe_events.models import BackfillProgress

# In the order that keeps references resolvable: customers before what points at them.
OBJECT_TYPES = {
    "customers": djstripe_models.Customer,
    "payment_methods": djstripe_models.PaymentMethod,
    "subscriptions": djstripe_models.Subscription,
    "invoices": djstripe_models.Invoice,
    "charges": djstripe_models.Charge,
    "refunds": djstripe_models.Refund,
    "disputes": djstripe_models.Dispute,
}
# Stripe lists only these subscriptions unless asked for all.
_EXTRA_LIST_PARAMETERS = {"subscriptions": {"status": "all"}}


def backfill(
    object_types: list[str],
    created_gte: datetime,
    created_lt: datetime,
    *,
    page_size: int = 100,
    max_pages: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Sync the objects of each type created in [created_gte, created_lt); returns how many
    were synced per type in this run. `max_pages` stops early (the rest resumes later)."""
    api_key = djstripe_settings.get_default_api_key(livemode=settings.STRIPE_LIVE_MODE)
    synced: dict[str, int] = {}
    pages_left = max_pages
    for object_type in object_types:
        row, _ = BackfillProgress.objects.get_or_create(
            object_type=object_type, created_gte=created_gte, created_lt=created_lt
        )
        if row.finished_at:
            progress(f"{object_type}: already done ({row.synced} synced)")
            synced[object_type] = 0
            continue
        sync = _sync_payment_methods if object_type == "payment_methods" else _sync_listed
        synced[object_type], pages_left = sync(row, api_key, page_size, pages_left, progress)
        if pages_left == 0:
            break
    return synced


def _sync_listed(row, api_key, page_size, pages_left, progress):
    model = OBJECT_TYPES[row.object_type]
    params = {
        "created": {"gte": int(row.created_gte.timestamp()), "lt": int(row.created_lt.timestamp())},
        "limit": page_size,
        **_EXTRA_LIST_PARAMETERS.get(row.object_type, {}),
    }
    synced = 0
    while pages_left != 0:
        if row.starting_after:
            params["starting_after"] = row.starting_after
        page = model.stripe_class.list(
            api_key=api_key, stripe_version=djstripe_settings.STRIPE_API_VERSION, **params
        )
        with transaction.atomic():
            for obj in page.data:
                model.sync_from_stripe_data(obj, api_key=api_key)
            if page.data:
                row.starting_after = page.data[-1].id
            row.synced += len(page.data)
            if not page.has_more:
                row.finished_at = timezone.now()
            row.save()
        synced += len(page.data)
        pages_left = None if pages_left is None else pages_left - 1
        progress(f"{row.object_type}: {row.synced} synced")
        if row.finished_at:
            break
    return synced, pages_left


def _sync_payment_methods(row, api_key, page_size, pages_left, progress):
    """Stripe lists payment methods per customer only: walk the customers known here (in id
    order, resumable by customer id) and keep those created in the range."""
    model = djstripe_models.PaymentMethod
    gte, lt = int(row.created_gte.timestamp()), int(row.created_lt.timestamp())
    customers = djstripe_models.Customer.objects.order_by("id")
    if row.starting_after:
        customers = customers.filter(id__gt=row.starting_after)
    synced = 0
    for customer_id in customers.values_list("id", flat=True).iterator():
        if pages_left == 0:
            return synced, pages_left
        listing = model.stripe_class.list(
            customer=customer_id, type="card", limit=page_size, api_key=api_key
        )
        with transaction.atomic():
            for obj in listing.auto_paging_iter():
                if gte <= obj.created < lt:
                    model.sync_from_stripe_data(obj, api_key=api_key)
                    synced += 1
                    row.synced += 1
            row.starting_after = customer_id
            row.save()
        pages_left = None if pages_left is None else pages_left - 1
    row.finished_at = timezone.now()
    row.save()
    progress(f"{row.object_type}: {row.synced} synced")
    return synced, pages_left
