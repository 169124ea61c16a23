from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/invite/", views.invite_patient, name="invite_patient"),
    path(
        "invitations/<id:invitation_id>/resend/",
        views.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "invitations/<id:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("practice/therapists/invite/", views.invite_therapist, name="invite_therapist"),
    path("settings/", views.profile, name="profile"),
    path("settings/who-opened-my-data/", views.my_access_log, name="my_access_log"),
    path("practice/access-log/", views.practice_access_log, name="practice_access_log"),
]
