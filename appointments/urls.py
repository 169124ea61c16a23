from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<id:appointment_id>/edit/", views.appointment_edit, name="appointment_edit"),
    path(
        "appointments/<id:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<id:appointment_id>/outcome/",
        views.appointment_outcome,
        name="appointment_outcome",
    ),
    path("patients/<id:patient_id>/end-care/", views.end_care, name="end_care"),
    path("care/<id:therapist_id>/leave/", views.leave_care, name="leave_care"),
    # Emailed links hold this path; it stays.
    path("email/<str:token>/", views.appointment_action, name="appointment_action"),
    path("reminders/", views.reminder_log, name="reminder_log"),
]
