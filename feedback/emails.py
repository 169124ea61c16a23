"""Feedback's emails: the request after an attended session, "there is feedback to
read" to the therapist when an alert is raised, and the escalation notice to the
practice managers. None says what the patient wrote."""

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse

from accounts.models import User
from appointments.models import Appointment
from appointments.signals import outcome_recorded
from notifications.compose import compose
from notifications.kinds import register
from notifications.links import site_url
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue

from .models import AllianceAlert, Escalation, SessionFeedback


def _appointment(message: Message) -> Appointment | None:
    return Appointment.objects.select_related("therapist").filter(pk=message.target_id).first()


def render_request(message: Message):
    appointment = _appointment(message)
    return compose(
        message,
        "feedback_request",
        {
            "therapist_name": appointment.therapist.display_name,
            "starts_at": appointment.starts_at.astimezone(message.recipient.zone),
            "feedback_url": site_url(reverse("feedback:give_feedback", args=[appointment.pk])),
        },
    )


def request_wanted(message: Message) -> bool:
    """Still attended (not corrected to a no-show) and not answered yet."""
    appointment = _appointment(message)
    return (
        appointment is not None
        and appointment.was_attended
        and not SessionFeedback.objects.filter(appointment=appointment).exists()
    )


FEEDBACK_REQUEST = register(
    "feedback_request",
    label="Feedback request",
    render=render_request,
    still_wanted=request_wanted,
    category=EmailPreference.Category.FEEDBACK,
)


@receiver(outcome_recorded, dispatch_uid="feedback.request")
def request_feedback(sender, appointment: Appointment, **kwargs) -> None:
    """Ask after an attended session. Keyed to the session, so a corrected outcome
    never asks twice."""
    if appointment.was_attended:
        enqueue(
            FEEDBACK_REQUEST,
            target_id=appointment.pk,
            recipient=appointment.patient,
            due_at=appointment.starts_at,
        )


def render_no_details(template: str):
    def render(message: Message):
        return compose(message, template, {"site_url": settings.SITE_URL})

    return render


def alliance_alert_wanted(message: Message) -> bool:
    """Not once read, and not if care has ended since."""
    alert = (
        AllianceAlert.objects.filter(pk=message.target_id)
        .select_related("feedback__patient")
        .first()
    )
    return (
        alert is not None
        and alert.acknowledged_at is None
        and alert.feedback.patient.therapist_links.filter(
            therapist=message.recipient, ended_at=None
        ).exists()
    )


ALLIANCE_ALERT = register(
    "alliance_alert",
    label="Feedback to read",
    render=render_no_details("feedback_to_read"),
    still_wanted=alliance_alert_wanted,
)
ESCALATION = register(
    "escalation",
    label="Feedback sent to the practice manager",
    render=render_no_details("escalation"),
    still_wanted=lambda message: Escalation.objects.filter(
        pk=message.target_id, handled_at=None
    ).exists(),
)


def plan_alliance_alert(alert: AllianceAlert) -> Message:
    return enqueue(
        ALLIANCE_ALERT,
        target_id=alert.pk,
        recipient=alert.feedback.therapist,
        due_at=alert.created_at,
    )


def plan_escalation(escalation: Escalation) -> list[Message]:
    """One email to each practice manager."""
    return [
        enqueue(
            ESCALATION, target_id=escalation.pk, recipient=manager, due_at=escalation.created_at
        )
        for manager in User.objects.filter(role=User.Role.MANAGER, is_active=True)
    ]
