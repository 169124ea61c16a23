from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/invite/", views.invite_patient, name="invite_patient"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path(
        "invitations/<int:invitation_id>/resend/",
        views.resend_invitation,
        name="resend_invitation",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("settings/", views.profile, name="profile"),
]
