from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "Warehouse"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from warehouse import receivers  # noqa: F401  (connects the signal receivers)
        from warehouse.checks import defer_djstripe_database_checks

        defer_djstripe_database_checks()
