"""Delete what the webhook intake keeps only for debugging, once it is old enough."""

import datetime as dt
from collections.abc import Callable

from webhooks.models import RejectedWebhookDelivery


def _delete_in_batches(queryset, batch_size: int, progress: Callable[[int], None]) -> int:
    deleted = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        # The raw delete skips per-row signals: nothing references these rows.
        deleted += queryset.model.objects.filter(pk__in=ids)._raw_delete(queryset.db)
        progress(deleted)


def prune_webhook_triggers(
    older_than: dt.datetime,
    *,
    batch_size: int = 5000,
    progress: Callable[[str, int], None] = lambda table, deleted: None,
) -> dict[str, int]:
    """Delete dj-stripe's triggers that failed validation (authenticated, but not an event
    dj-stripe accepted) and the rejected-request counts, both last touched before
    `older_than`. Valid triggers (processed, or failed with a traceback to retry) stay."""
    from djstripe.models import WebhookEventTrigger

    invalid_triggers = WebhookEventTrigger.objects.filter(valid=False, updated__lt=older_than)
    rejected = RejectedWebhookDelivery.objects.filter(last_seen_at__lt=older_than)
    return {
        "invalid_triggers": _delete_in_batches(
            invalid_triggers, batch_size, lambda n: progress("invalid triggers", n)
        ),
        "rejected_deliveries": _delete_in_batches(
            rejected, batch_size, lambda n: progress("rejected deliveries", n)
        ),
    }
