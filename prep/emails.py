"""The "your summary is ready to review" email, planned when a draft is prepared."""

from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from notifications.compose import compose
from notifications.kinds import register
from notifications.links import site_url
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue

from . import summaries


def _appointment(message: Message) -> Appointment | None:
    return Appointment.objects.select_related("therapist").filter(pk=message.target_id).first()


def render(message: Message):
    appointment = _appointment(message)
    recipient = message.recipient
    return compose(
        message,
        "summary_ready",
        {
            "appointment": appointment,
            "therapist_name": appointment.therapist.display_name,
            "starts_at": appointment.starts_at.astimezone(recipient.zone),
            "ends_at": appointment.ends_at.astimezone(recipient.zone),
            "zone": recipient.timezone,
            "summary_url": site_url(reverse("prep:summary_review", args=[appointment.pk])),
        },
    )


def still_wanted(message: Message) -> bool:
    """Only while the session is still to come and the summary not yet shared."""
    appointment = _appointment(message)
    return (
        appointment is not None
        and not appointment.outcome
        and appointment.starts_at > timezone.now()
        and summaries.latest_shared(appointment) is None
    )


SUMMARY_READY = register(
    "summary_ready",
    label="Summary ready to review",
    render=render,
    still_wanted=still_wanted,
    category=EmailPreference.Category.SUMMARIES,
)


def plan_summary_ready(appointment: Appointment) -> Message:
    return enqueue(SUMMARY_READY, target_id=appointment.pk, recipient=appointment.patient)
