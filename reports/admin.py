"""The admin's "View site" link leads to the reports."""

from django.contrib import admin
from django.urls import reverse_lazy

admin.site.site_url = reverse_lazy("reports:home")
admin.site.site_header = "stripe_dwh administration"
