from django.urls import include, path

from . import views

app_name = "prep"

urlpatterns = [
    path("home/", views.patient_home, name="patient_home"),
    path("dashboard/", views.therapist_dashboard, name="therapist_dashboard"),
    # Goals, homework and the agenda (prep/plan_urls.py).
    path("", include("prep.plan_urls")),
]
