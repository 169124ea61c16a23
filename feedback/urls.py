from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.mine, name="mine"),
    path("sessions/<id:appointment_id>/feedback/", views.give_feedback, name="give_feedback"),
    path("feedback/alerts/<id:alert_id>/", views.alert_detail, name="alert_detail"),
    path("feedback/patients/<id:patient_id>/", views.patient_feedback, name="patient_feedback"),
    path("practice/", views.practice_home, name="practice_home"),
    path(
        "practice/escalations/<id:escalation_id>/handled/",
        views.escalation_handled,
        name="escalation_handled",
    ),
]
