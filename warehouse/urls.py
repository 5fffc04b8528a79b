from django.urls import path

app_name = "warehouse"

urlpatterns: list = []
