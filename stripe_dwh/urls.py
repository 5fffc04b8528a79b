from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="reports:overview", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("stripe_events.urls")),
    path("stripe/", include(("stripe_events.webhook_urls", "djstripe"), namespace="djstripe")),
    path("warehouse/", include("warehouse.urls")),
    path("reports/", include("reports.urls")),
]
