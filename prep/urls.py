from django.urls import path

from . import sharing, views

app_name = "prep"

urlpatterns = [
    path("home/", views.patient_home, name="patient_home"),
    path("care/<id:therapist_id>/earlier-sessions/", views.link_history, name="link_history"),
    path("dashboard/", views.therapist_dashboard, name="therapist_dashboard"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/<id:appointment_id>/summary/", views.summary_read, name="summary_read"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/share-automatically/", views.share_automatically, name="share_automatically"),
    path("sessions/<id:appointment_id>/summary/", views.summary_review, name="summary_review"),
    path(
        "sessions/<id:appointment_id>/summary/generate/",
        views.summary_generate,
        name="summary_generate",
    ),
    path(
        "sessions/<id:appointment_id>/summary/print/",
        views.summary_print,
        name="summary_print",
    ),
    path(
        "sessions/<id:appointment_id>/summary/choices/",
        views.summary_choices,
        name="summary_choices",
    ),
    path(
        "sessions/<id:appointment_id>/summary/agenda/",
        views.summary_add_agenda,
        name="summary_add_agenda",
    ),
    # A shared version, by link, for someone not on the app (prep/sharing.py).
    path(
        "sessions/<id:appointment_id>/summary/<id:version>/links/",
        sharing.summary_links,
        name="summary_links",
    ),
    path(
        "sessions/<id:appointment_id>/summary/<id:version>/pdf/",
        sharing.summary_pdf,
        name="summary_pdf",
    ),
    path(
        "summary-links/<id:link_id>/email/",
        sharing.summary_link_email,
        name="summary_link_email",
    ),
    path(
        "summary-links/<id:link_id>/revoke/",
        sharing.summary_link_revoke,
        name="summary_link_revoke",
    ),
    path("shared/<str:token>/", sharing.shared_summary, name="shared_summary"),
    path("shared/<str:token>/pdf/", sharing.shared_summary_pdf, name="shared_summary_pdf"),
    # Goals, homework and the agenda: the patient's pages.
    path("goals/", views.goals, name="goals"),
    path("goals/<id:goal_id>/comment/", views.comment_on_goal, name="comment_on_goal"),
    path("homework/checklist/", views.homework_checklist, name="homework_checklist"),
    path("homework/<id:homework_id>/toggle/", views.toggle_homework, name="toggle_homework"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/<id:item_id>/done/", views.agenda_done, name="agenda_done"),
    path("agenda/<id:item_id>/delete/", views.agenda_delete, name="agenda_delete"),
    # The therapist's.
    path("patients/<id:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<id:patient_id>/plan/", views.patient_plan, name="patient_plan"),
    path("patients/<id:patient_id>/goals/add/", views.add_goal, name="add_goal"),
    path("goals/<id:goal_id>/status/", views.goal_status, name="goal_status"),
    path("patients/<id:patient_id>/homework/add/", views.add_homework, name="add_homework"),
    # A patient's rights over their data.
    path("settings/my-data/", views.my_data, name="my_data"),
    path("settings/delete-account/", views.delete_account, name="delete_account"),
    path("account-deleted/", views.account_deleted, name="account_deleted"),
]
