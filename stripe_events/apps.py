from django.apps import AppConfig


class StripeEventsConfig(AppConfig):
    name = "stripe_events"
    verbose_name = "Stripe events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from stripe_events import receivers  # noqa: F401  (connects the signal receivers)
