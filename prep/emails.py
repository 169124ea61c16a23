"""The "your summary is ready to review" email, planned when a draft is prepared."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from notifications.compose import compose
from notifications.kinds import by_target, register
from notifications.links import site_url
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue

from .models import PreSessionSummary


def _appointment(message: Message) -> Appointment | None:
    """The session, knowing whether a summary of it is shared (loaded for a batch)."""
    return message.target


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
        and not appointment.has_shared_summary
    )


SUMMARY_READY = register(
    "summary_ready",
    label="Summary ready to review",
    render=render,
    still_wanted=still_wanted,
    category=EmailPreference.Category.SUMMARIES,
    load=by_target(
        Appointment.objects.select_related("therapist").annotate(
            # A shared summary has a version (summaries.latest_shared).
            has_shared_summary=Exists(
                PreSessionSummary.objects.filter(appointment=OuterRef("pk"), version__gt=0)
            )
        )
    ),
)


def plan_summary_ready(appointment: Appointment) -> Message:
    return enqueue(SUMMARY_READY, target_id=appointment.pk, recipient=appointment.patient)
