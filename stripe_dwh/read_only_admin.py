"""The admin's read-only rule in one place: a ModelAdmin mixin whose rows are viewed, never
added, changed or deleted, by anyone (superusers included). The warehouse's tables are
written by its services, Stripe's objects arrive as webhooks, and the events' and refused
requests' logs are records: none of them is edited by hand."""


class ReadOnlyAdminMixin:
    """Mixed in front of a ModelAdmin: no add, change or delete permission."""

    def has_add_permission(self, request, obj=None):  # obj: the inlines' signature
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
