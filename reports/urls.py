from django.contrib.auth import views as auth_views
from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("ltv/", views.ltv, name="ltv"),
    path("cohorts/", views.cohorts, name="cohorts"),
    path("channels/", views.channels, name="channels"),
    path("mrr/", views.mrr, name="mrr"),
    path("vendor/plotly-<str:version>.min.js", views.plotly_js, name="plotly_js"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="reports/login.html", next_page="reports:overview"
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="reports:login"), name="logout"),
]
