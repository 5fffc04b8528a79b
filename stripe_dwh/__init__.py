# The Celery app is loaded with Django so that @shared_task binds to it (Celery's Django
# layout); it only connects to a broker when CELERY_BROKER_URL is set.
from stripe_dwh.celery import app as celery_app

__all__ = ["celery_app"]
