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
    # A patient's own sessions (their therapist is not on the app).
    path("my-sessions/new/", views.own_session_new, name="own_session_new"),
    path("my-sessions/<id:session_id>/edit/", views.own_session_edit, name="own_session_edit"),
    path(
        "my-sessions/<id:session_id>/cancel/", views.own_session_cancel, name="own_session_cancel"
    ),
    path(
        "my-sessions/<id:session_id>/attendance/",
        views.own_session_attendance,
        name="own_session_attendance",
    ),
    path("my-sessions/series/<id:series_id>/stop/", views.series_stop, name="series_stop"),
    path("patients/<id:patient_id>/end-care/", views.end_care, name="end_care"),
    path("care/<id:therapist_id>/leave/", views.leave_care, name="leave_care"),
    # Emailed links hold this path; it stays.
    path("email/<str:token>/", views.appointment_action, name="appointment_action"),
    path("reminders/", views.reminder_log, name="reminder_log"),
    path("settings/calendar-feed/", views.calendar_feed, name="calendar_feed"),
    path("settings/calendar-feed/new/", views.calendar_feed_new, name="calendar_feed_new"),
    path("settings/calendar-feed/stop/", views.calendar_feed_stop, name="calendar_feed_stop"),
    # Calendar apps hold this address; it stays.
    path("calendar-feed/<str:token>.ics", views.calendar_feed_file, name="calendar_feed_file"),
]
