from django.contrib.auth import views as auth_views
from django.urls import path

from reports import views
from reports.pages import EXTRA_PAGES, PAGES

app_name = "reports"

urlpatterns = [
    *[path(page.route, views.VIEWS[page.name], name=page.name) for page in [*PAGES, *EXTRA_PAGES]],
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="reports/login.html",
            next_page="reports:home",
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="reports:login"), name="logout"),
]
