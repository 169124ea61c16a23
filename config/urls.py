from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("journal.urls")),
    path("", include("notifications.urls")),
    path("", include("appointments.urls")),
    path("", include("prep.urls")),
    path("", include("feedback.urls")),
    # The admin has no sign-in of its own: the app's (throttled, two-factor) one.
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
]
