"""Saving relationship feedback: one per patient per session, editable for 48 hours,
then the alert rules, the escalation, and the announcement other apps listen to (the
patient's agenda gains a line when they ask to talk about it)."""

from dataclasses import dataclass
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


class NoTherapistOnApp(Exception):
    """The patient's own session: their therapist isn't on the app, so nobody here
    could receive feedback, be alerted, reply or be escalated to."""


@dataclass(frozen=True)
class Saved:
    """What one save did, so the patient is told exactly that and no more."""

    feedback: SessionFeedback
    # The escalation this save created; None when it created none (not asked, or
    # sent with an earlier save).
    escalation: Escalation | None = None
    # How many practice managers' emails about it went into the outbox; 0 means
    # nobody was told, and the patient must not read "sent".
    managers_emailed: int = 0


@transaction.atomic
def save(form, *, patient, appointment: Appointment) -> Saved:
    if appointment.is_own:
        raise NoTherapistOnApp
    feedback = form.save(commit=False)
    if feedback.pk and not feedback.is_editable:
        raise FeedbackClosed
    feedback.patient, feedback.therapist = patient, appointment.therapist
    feedback.appointment, feedback.session_at = appointment, appointment.starts_at
    feedback.save()
    alerts.evaluate(feedback)
    saved = Saved(feedback)
    if form.cleaned_data.get("escalate"):
        escalation, created = Escalation.objects.get_or_create(
            feedback=feedback,
            defaults={
                "message": form.cleaned_data.get("escalation_message", ""),
                "therapist_may_know": form.cleaned_data.get("therapist_may_know", False),
            },
        )
        if created:
            saved = Saved(feedback, escalation, len(emails.plan_escalation(escalation)))
    feedback_saved.send(sender=SessionFeedback, feedback=feedback)
    return saved


def for_session(patient, appointment: Appointment) -> SessionFeedback | None:
    return SessionFeedback.objects.filter(patient=patient, appointment=appointment).first()


def due_for(patient):
    """Attended sessions of the last two weeks the patient has not given feedback
    on yet, latest first (the home page offers three). The patient's own sessions
    are left out: their therapist isn't on the app to receive it."""
    return (
        Appointment.objects.attended()
        .filter(patient=patient, starts_at__gte=timezone.now() - DUE_WITHIN)
        .exclude(therapist=None)
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
