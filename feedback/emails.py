"""Feedback's emails: the request after an attended session, "there is feedback to
read" to the therapist when an alert is raised, and the escalation notice to the
practice managers. None says what the patient wrote."""

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.urls import reverse

from accounts.models import CareLink, User
from appointments.models import Appointment
from appointments.signals import outcome_recorded
from notifications.compose import compose
from notifications.kinds import by_target, register
from notifications.links import site_url
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue

from .models import AllianceAlert, Escalation, SessionFeedback


def _appointment(message: Message) -> Appointment | None:
    """The session, knowing whether it has feedback yet (loaded for a whole batch)."""
    return message.target


def render_request(message: Message):
    appointment = _appointment(message)
    return compose(
        message,
        "feedback_request",
        {
            "therapist_name": appointment.with_whom,
            "starts_at": appointment.starts_at.astimezone(message.recipient.zone),
            "feedback_url": site_url(reverse("feedback:give_feedback", args=[appointment.pk])),
        },
    )


def request_wanted(message: Message) -> bool:
    """Still attended (not corrected to a no-show), not answered yet, and with a
    therapist on the app to receive it."""
    appointment = _appointment(message)
    return (
        appointment is not None
        and not appointment.is_own
        and appointment.was_attended
        and not appointment.has_feedback
    )


FEEDBACK_REQUEST = register(
    "feedback_request",
    label="Feedback request",
    render=render_request,
    still_wanted=request_wanted,
    category=EmailPreference.Category.FEEDBACK,
    load=by_target(
        Appointment.objects.select_related("therapist").annotate(
            has_feedback=Exists(SessionFeedback.objects.filter(appointment=OuterRef("pk")))
        )
    ),
)


@receiver(outcome_recorded, dispatch_uid="feedback.request")
def request_feedback(sender, appointment: Appointment, **kwargs) -> None:
    """Ask after an attended session. Keyed to the session, so a corrected outcome
    never asks twice. The patient's own session has nobody here to receive it."""
    if appointment.was_attended and not appointment.is_own:
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


def load_alliance_alerts(messages) -> dict:
    """For each row, whether its alert still wants reading: not read yet, and its
    patient still in the care of the therapist it goes to. Two queries a batch."""
    alerts = AllianceAlert.objects.select_related("feedback").in_bulk(
        {message.target_id for message in messages}
    )
    in_care = set(
        CareLink.objects.active()
        .filter(
            therapist__in={message.recipient_id for message in messages},
            patient__in={alert.feedback.patient_id for alert in alerts.values()},
        )
        .values_list("therapist", "patient")
    )
    wanted = {}
    for message in messages:
        alert = alerts.get(message.target_id)
        wanted[message.pk] = (
            alert is not None
            and alert.acknowledged_at is None
            and (message.recipient_id, alert.feedback.patient_id) in in_care
        )
    return wanted


ALLIANCE_ALERT = register(
    "alliance_alert",
    label="Feedback to read",
    render=render_no_details("feedback_to_read"),
    still_wanted=lambda message: message.target,
    load=load_alliance_alerts,
)
ESCALATION = register(
    "escalation",
    label="Feedback sent to the practice manager",
    render=render_no_details("escalation"),
    # Only while nobody has handled it.
    still_wanted=lambda message: message.target is not None,
    load=by_target(Escalation.objects.filter(handled_at=None)),
)


def plan_alliance_alert(alert: AllianceAlert) -> Message | None:
    if alert.feedback.therapist_id is None:
        return None  # nobody on the app to tell
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


def manager_emailed(escalation_id: str = "escalation__pk") -> Exists:
    """Whether an email about the escalation (whose id the outer query holds at
    `escalation_id`) was written to the outbox for a practice manager: the only
    ground for telling the patient it was sent."""
    return Exists(
        Message.objects.filter(
            kind=ESCALATION,
            target_id=OuterRef(escalation_id),
            recipient__role=User.Role.MANAGER,
        )
    )
