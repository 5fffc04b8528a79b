"""Stripe events: every event this warehouse received or fetched, whether it was processed,
and the paths that process it (inline in the webhook, on Celery workers, by the catch-up
from Stripe's event log). One processing function serves them all:
stripe_events.services.processing.process_event."""
