from django.urls import path

from stripe_events import views

app_name = "stripe_events"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
