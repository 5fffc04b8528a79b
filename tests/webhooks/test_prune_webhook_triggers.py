"""manage.py prune_webhook_triggers: old invalid triggers and refusal counts go, the rest
stays."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webhooks.models import RejectedWebhookDelivery

pytestmark = pytest.mark.django_db


def _trigger(valid: bool, age_days: int):
    from djstripe.models import WebhookEventTrigger

    trigger = WebhookEventTrigger.objects.create(
        remote_ip="192.0.2.1", headers={}, body="{}", valid=valid
    )
    # `updated` is auto_now: move it back with a queryset update.
    WebhookEventTrigger.objects.filter(pk=trigger.pk).update(
        created=timezone.now() - dt.timedelta(days=age_days),
        updated=timezone.now() - dt.timedelta(days=age_days),
    )
    return trigger.pk


def _rejected(age_days: int, reason="bad_signature"):
    moment = timezone.now() - dt.timedelta(days=age_days)
    return RejectedWebhookDelivery.objects.create(
        received_minute=moment.replace(second=0, microsecond=0),
        remote_addr="192.0.2.1",
        reason=reason,
        first_seen_at=moment,
        last_seen_at=moment,
    ).pk


def test_prunes_old_invalid_records_and_keeps_valid_and_recent_ones(settings):
    from djstripe.models import WebhookEventTrigger

    settings.WEBHOOK_TRIGGER_RETENTION_DAYS = 30
    old_invalid = [_trigger(False, 40) for _ in range(3)]
    kept = [_trigger(False, 5), _trigger(True, 400)]
    old_rejected = [_rejected(31), _rejected(90, "body_too_large")]
    recent_rejected = _rejected(1)
    out = StringIO()

    call_command("prune_webhook_triggers", "--batch-size", "2", stdout=out)

    assert sorted(WebhookEventTrigger.objects.values_list("pk", flat=True)) == sorted(kept)
    assert list(RejectedWebhookDelivery.objects.values_list("pk", flat=True)) == [recent_rejected]
    assert not set(old_invalid) & set(WebhookEventTrigger.objects.values_list("pk", flat=True))
    assert len(old_rejected) == 2
    output = out.getvalue()
    assert "invalid triggers: 2 deleted" in output  # progress per batch
    assert "Pruned 3 invalid triggers and 2 rejected-delivery rows older than 30 days" in output


def test_days_option_overrides_the_setting():
    _trigger(False, 10)

    call_command("prune_webhook_triggers", "--days", "7", stdout=StringIO())

    from djstripe.models import WebhookEventTrigger

    assert not WebhookEventTrigger.objects.exists()


def test_negative_retention_is_a_command_error():
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        call_command("prune_webhook_triggers", "--days", "-1", stdout=StringIO())
