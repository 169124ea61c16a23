"""Saving relationship feedback: one per patient per session, editable for 48 hours,
then the alert rules, the escalation, and the announcement other apps listen to (the
patient's agenda gains a line when they ask to talk about it)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment

from . import alerts, emails
from .models import Escalation, SessionFeedback
from .signals import feedback_saved

# Feedback is asked for on sessions this recent.
DUE_WITHIN = timedelta(days=14)


class FeedbackClosed(Exception):
    """The 48 hours for changing this feedback have passed."""


@transaction.atomic
def save(form, *, patient, appointment: Appointment) -> SessionFeedback:
    feedback = form.save(commit=False)
    if feedback.pk and not feedback.is_editable:
        raise FeedbackClosed
    feedback.patient, feedback.therapist = patient, appointment.therapist
    feedback.appointment, feedback.session_at = appointment, appointment.starts_at
    feedback.save()
    alerts.evaluate(feedback)
    if form.cleaned_data.get("escalate"):
        escalation, created = Escalation.objects.get_or_create(
            feedback=feedback,
            defaults={
                "message": form.cleaned_data.get("escalation_message", ""),
                "therapist_may_know": form.cleaned_data.get("therapist_may_know", False),
            },
        )
        if created:
            emails.plan_escalation(escalation)
    feedback_saved.send(sender=SessionFeedback, feedback=feedback)
    return feedback


def for_session(patient, appointment: Appointment) -> SessionFeedback | None:
    return SessionFeedback.objects.filter(patient=patient, appointment=appointment).first()


def due_for(patient):
    """Attended sessions of the last two weeks the patient has not given feedback
    on yet, latest first (the home page offers three)."""
    return (
        Appointment.objects.attended()
        .filter(patient=patient, starts_at__gte=timezone.now() - DUE_WITHIN)
        .exclude(feedback__patient=patient)
        .select_related("therapist")
        .order_by("-starts_at")[:3]
    )


def visible_to_therapist(therapist, patient=None):
    """Feedback whose scores the patient shares with this therapist."""
    queryset = SessionFeedback.objects.filter(therapist=therapist).exclude(
        visibility=SessionFeedback.Visibility.PRIVATE
    )
    return queryset.filter(patient=patient) if patient is not None else queryset
