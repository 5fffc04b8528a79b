from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "Warehouse"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from djstripe.models import Invoice

        from warehouse import receivers  # noqa: F401  (connects the signal receivers)
        from warehouse.checks import defer_djstripe_database_checks

        defer_djstripe_database_checks()

        # Since API 2025-03-31.basil an invoice links to its charges only through its invoice
        # payments, an includable field Stripe leaves out unless expanded; dj-stripe does not
        # ask for it. Asking on dj-stripe's own retrieval (every webhook re-retrieves the
        # invoice) costs no extra request and keeps `payments` in the stored JSON, where
        # stg_stripe__invoices finds the paying charge.
        if "payments" not in Invoice.expand_fields:
            Invoice.expand_fields = [*Invoice.expand_fields, "payments"]
