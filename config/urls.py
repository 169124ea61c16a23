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
    path("admin/", admin.site.urls),
]
