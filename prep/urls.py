from django.urls import path

from . import views

app_name = "prep"

urlpatterns = [
    path("home/", views.patient_home, name="patient_home"),
    path("dashboard/", views.therapist_dashboard, name="therapist_dashboard"),
]
