"""What the warehouse knows about Stripe's events: received, processed, or not (and why)."""

from django.db import models
from django.utils import timezone


class StripeEventReceipt(models.Model):
    """One row per Stripe event id received by webhook or fetched from Stripe's event log.

    Grain: one row per Stripe event (`event_id`). The payload is stored before anything is
    processed (in Celery mode, before the webhook answers), so an event whose processing
    was lost (a dead worker, a lost broker message) is still here, `pending`, and the
    sweeper enqueues it again.

    status:
    - pending: stored, not processed yet;
    - processed: dj-stripe synced its object and the warehouse took it in;
    - unresolved: the object it names cannot be retrieved from Stripe (404, another account,
      live/test mix-up); nothing of it was stored; `reason` says why. Retried by the
      catch-up and `retry_unresolved_events`;
    - failed: processing raised (Stripe unreachable, a bug); `reason` holds the error.
      Retried by Celery with backoff, the catch-up and `retry_unresolved_events`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        UNRESOLVED = "unresolved", "Unresolved"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        EVENT_LOG = "event_log", "Stripe's event log (catch-up)"

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=250)
    livemode = models.BooleanField()
    stripe_created = models.DateTimeField(help_text="When Stripe created the event.")
    payload = models.JSONField(help_text="The event as Stripe sent it.")
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it is unresolved or failed.")
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweeper, the retry command and the health counts select by status.
            models.Index(
                fields=["status", "received_at"],
                name="receipt_open_by_age",
                condition=~models.Q(status="processed"),
            ),
            models.Index(fields=["processed_at"], name="receipt_processed_at"),
        ]
        ordering = ["-received_at"]
        verbose_name = "Stripe event"

    def __str__(self):
        return f"{self.event_type} {self.event_id} ({self.status})"


class EventLogCursor(models.Model):
    """Where the catch-up resumes in Stripe's event log, and what its last run found.

    Grain: one row per mode (live or test). `last_event_created` is the creation time of the
    newest event the catch-up has seen; the next run lists from that second on (events of
    the same second that were already processed are skipped by id).
    """

    livemode = models.BooleanField(unique=True)
    last_event_created = models.DateTimeField(null=True, blank=True)
    last_event_id = models.CharField(max_length=255, blank=True)
    last_run_started_at = models.DateTimeField(null=True, blank=True)
    last_run_finished_at = models.DateTimeField(null=True, blank=True)
    last_run_lag_seconds = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "At the last run: how old the oldest event missing from the warehouse was "
            "(0 when none was missing)."
        ),
    )
    last_run_missing = models.PositiveIntegerField(
        default=0, help_text="Events the last run found in Stripe's log but not processed here."
    )
    last_run_summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "event log cursor"

    def __str__(self):
        return f"{'live' if self.livemode else 'test'} event log cursor"


class BackfillProgress(models.Model):
    """A backfill of one Stripe object type over one created range, resumable.

    Grain: one row per (object type, created from, created before). Stripe lists newest
    first; `starting_after` is the last object synced, so a rerun continues after it.
    """

    object_type = models.CharField(max_length=32)
    created_gte = models.DateTimeField()
    created_lt = models.DateTimeField()
    starting_after = models.CharField(max_length=255, blank=True)
    synced = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "created_gte", "created_lt"], name="backfill_range"
            )
        ]
        verbose_name_plural = "backfill progress"

    def __str__(self):
        return f"{self.object_type} {self.created_gte:%Y-%m-%d}…{self.created_lt:%Y-%m-%d}"
