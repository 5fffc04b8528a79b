from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="reports:home", permanent=False)),
    path("admin/", admin.site.urls),
    path("", include("stripe_events.urls")),
    # Our webhook view under dj-stripe's URL name; dj-stripe's own view is not routed.
    path("stripe/", include(("webhooks.urls", "djstripe"), namespace="djstripe")),
    path("warehouse/", include("warehouse.urls")),
    path("reports/", include("reports.urls")),
]
