"""The Celery application (workers and beat): `celery -A stripe_dwh worker` / `beat`.

Configured from Django's settings (CELERY_*); used only when CELERY_BROKER_URL is set.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stripe_dwh.settings")

app = Celery("stripe_dwh")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
