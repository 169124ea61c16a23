"""Saving relationship feedback: one per patient per session, editable for 48 hours,
then the alert rules, the escalation, and nothing else."""

from django.db import transaction

from . import alerts
from .models import Escalation, SessionFeedback


class FeedbackClosed(Exception):
    """The 48 hours for changing this feedback have passed."""


@transaction.atomic
def save(form, *, patient, therapist, appointment_id: int, session_at) -> SessionFeedback:
    feedback = form.save(commit=False)
    if feedback.pk and not feedback.is_editable:
        raise FeedbackClosed
    feedback.patient, feedback.therapist = patient, therapist
    feedback.appointment_id, feedback.session_at = appointment_id, session_at
    feedback.save()
    alerts.evaluate(feedback)
    if form.cleaned_data.get("escalate"):
        Escalation.objects.get_or_create(
            feedback=feedback,
            defaults={
                "message": form.cleaned_data.get("escalation_message", ""),
                "therapist_may_know": form.cleaned_data.get("therapist_may_know", False),
            },
        )
    return feedback


def for_session(patient, appointment_id: int) -> SessionFeedback | None:
    return SessionFeedback.objects.filter(patient=patient, appointment_id=appointment_id).first()


def visible_to_therapist(therapist, patient=None):
    """Feedback whose scores the patient shares with this therapist."""
    queryset = SessionFeedback.objects.filter(therapist=therapist).exclude(
        visibility=SessionFeedback.Visibility.PRIVATE
    )
    return queryset.filter(patient=patient) if patient is not None else queryset
