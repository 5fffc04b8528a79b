from django.urls import path

from warehouse import views

app_name = "warehouse"

urlpatterns = [
    path("installs/callback/", views.install_callback, name="install_callback"),
]
