"""Celery tasks: process one stored event; the periodic sweep, catch-up and pruning.

Processing is idempotent (a row lock on the receipt, dj-stripe's event id), so a task run
twice (redelivery after a worker died, the sweeper and the original message both arriving)
processes the event once.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from stripe_events import queue
from stripe_events.services import catch_up
from stripe_events.services.processing import process_event_recording_failure

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def process_stripe_event(event_id: str) -> str:
    return process_event_recording_failure(event_id)


@shared_task
def sweep_stored_events() -> int:
    """Re-enqueue events stored but not processed after STRIPE_EVENTS_REQUEUE_AFTER seconds
    (the transactional outbox: a lost message or a dead broker loses nothing)."""
    return queue.requeue_stale(settings.STRIPE_EVENTS_REQUEUE_AFTER)


@shared_task
def sync_stripe_events() -> dict:
    """The catch-up from Stripe's event log (as `manage.py sync_stripe_events`)."""
    return catch_up.sync_events().as_dict()


@shared_task
def prune_webhook_triggers() -> None:
    """The webhook intake's pruning command (`manage.py prune_webhook_triggers`)."""
    try:
        call_command("prune_webhook_triggers")
    except CommandError as exc:  # not installed in this build
        logger.warning("prune_webhook_triggers unavailable: %s", exc)
