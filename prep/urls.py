from django.urls import include, path

from . import feedback_views, reminder_views, views

app_name = "prep"

urlpatterns = [
    path("home/", views.patient_home, name="patient_home"),
    path("dashboard/", views.therapist_dashboard, name="therapist_dashboard"),
    path("patients/<int:patient_id>/end-care/", views.end_care, name="end_care"),
    path("care/<int:therapist_id>/leave/", views.leave_care, name="leave_care"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path(
        "appointments/<int:appointment_id>/edit/", views.appointment_edit, name="appointment_edit"
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<int:appointment_id>/outcome/",
        views.appointment_outcome,
        name="appointment_outcome",
    ),
    path("appointments/<int:appointment_id>/summary/", views.summary_read, name="summary_read"),
    path("sessions/", views.session_list, name="session_list"),
    path(
        "sessions/<int:appointment_id>/feedback/",
        feedback_views.give_feedback,
        name="give_feedback",
    ),
    path("sessions/share-automatically/", views.share_automatically, name="share_automatically"),
    path("sessions/<int:appointment_id>/summary/", views.summary_review, name="summary_review"),
    path(
        "sessions/<int:appointment_id>/summary/generate/",
        views.summary_generate,
        name="summary_generate",
    ),
    path(
        "sessions/<int:appointment_id>/summary/choices/",
        views.summary_choices,
        name="summary_choices",
    ),
    path(
        "sessions/<int:appointment_id>/summary/agenda/",
        views.summary_add_agenda,
        name="summary_add_agenda",
    ),
    path("email/<str:token>/", reminder_views.appointment_action, name="appointment_action"),
    path("unsubscribe/<str:token>/", reminder_views.unsubscribe, name="unsubscribe"),
    path("settings/email/", reminder_views.email_preferences, name="email_preferences"),
    path("reminders/", reminder_views.reminder_log, name="reminder_log"),
    # Goals, homework and the agenda (prep/plan_urls.py).
    path("", include("prep.plan_urls")),
]
