"""Admin: the Stripe events received, filterable by status, with a retry action."""

from django.contrib import admin, messages

from stripe_dwh.read_only_admin import ReadOnlyAdminMixin
from stripe_events.models import BackfillProgress, EventLogCursor, StripeEventReceipt
from stripe_events.services.catch_up import retry_open_events

Status = StripeEventReceipt.Status


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The events' records are viewed here, never edited (the retry action re-runs them)."""


@admin.register(StripeEventReceipt)
class StripeEventReceiptAdmin(ReadOnlyAdmin):
    list_display = (
        "event_id",
        "event_type",
        "status",
        "source",
        "attempts",
        "stripe_created",
        "processed_at",
        "short_reason",
    )
    list_filter = ("status", "source", "livemode")
    search_fields = ("event_id", "event_type")
    date_hierarchy = "received_at"
    actions = ["retry_events"]
    exclude = ("payload",)
    list_per_page = 50

    @admin.display(description="reason")
    def short_reason(self, obj):
        return obj.reason[:120]

    @admin.action(description="Retry the selected unresolved or failed events")
    def retry_events(self, request, queryset):
        event_ids = list(
            queryset.filter(status__in=[Status.UNRESOLVED, Status.FAILED]).values_list(
                "event_id", flat=True
            )
        )
        counts = retry_open_events(event_ids=event_ids)
        level = messages.SUCCESS if counts["processed"] == len(event_ids) else messages.WARNING
        self.message_user(
            request,
            f"Retried {len(event_ids)} events: {counts['processed']} processed, "
            f"{counts['unresolved']} still unresolved, {counts['failed']} failed.",
            level,
        )

    def has_change_permission(self, request, obj=None):
        # The retry action needs change permission; the form itself stays read-only.
        return request.user.has_perm("stripe_events.change_stripeeventreceipt")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name != "payload"]

    def save_model(self, request, obj, form, change):
        """Nothing is edited here."""


@admin.register(EventLogCursor)
class EventLogCursorAdmin(ReadOnlyAdmin):
    list_display = (
        "livemode",
        "last_event_created",
        "last_run_finished_at",
        "last_run_lag_seconds",
        "last_run_missing",
    )


@admin.register(BackfillProgress)
class BackfillProgressAdmin(ReadOnlyAdmin):
    list_display = ("object_type", "created_gte", "created_lt", "synced", "finished_at")
