"""Goals, homework and the agenda, included into the `prep` namespace by prep/urls.py."""

from django.urls import path

from . import plan_views as views

urlpatterns = [
    # The patient's pages.
    path("goals/", views.goals, name="goals"),
    path("goals/<int:goal_id>/comment/", views.comment_on_goal, name="comment_on_goal"),
    path("homework/checklist/", views.homework_checklist, name="homework_checklist"),
    path("homework/<int:homework_id>/toggle/", views.toggle_homework, name="toggle_homework"),
    path("agenda/", views.agenda, name="agenda"),
    path("agenda/<int:item_id>/done/", views.agenda_done, name="agenda_done"),
    path("agenda/<int:item_id>/delete/", views.agenda_delete, name="agenda_delete"),
    # The therapist's.
    path("patients/<int:patient_id>/plan/", views.patient_plan, name="patient_plan"),
    path("patients/<int:patient_id>/goals/add/", views.add_goal, name="add_goal"),
    path("goals/<int:goal_id>/status/", views.goal_status, name="goal_status"),
    path("patients/<int:patient_id>/homework/add/", views.add_homework, name="add_homework"),
]
