from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhook intake"
    default_auto_field = "django.db.models.BigAutoField"
