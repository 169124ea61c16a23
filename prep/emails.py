"""The "your summary is ready to review" email, planned when a draft is prepared."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from notifications.compose import compose
from notifications.kinds import by_target, register
from notifications.links import site_url
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue

from . import links
from .models import PreSessionSummary, SummaryLinkEmail


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
            "therapist_name": appointment.with_whom,
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


# A link to a shared summary, emailed to someone who is not on the app. It says who
# shared it, where it is and until when; never anything from the summary, and never
# the code (the patient tells that separately).


def render_summary_link(message: Message):
    sent = message.target
    link = sent.link
    patient = link.summary.appointment.patient
    # The reader has no account and no zone of their own: the patient's.
    with timezone.override(patient.zone):
        return compose(
            message,
            "summary_link",
            {
                "patient_name": patient.display_name,
                "link_url": links.url_of(link),
                "expires_at": link.expires_at,
                "zone": patient.timezone,
                "has_code": bool(link.code_hash),
            },
            to=[sent.address],
        )


def summary_link_still_wanted(message: Message) -> bool:
    """Only while the link still works: a revoked or expired link is not sent."""
    sent = message.target
    return sent is not None and links.status_of(sent.link) == links.Status.ACTIVE


SUMMARY_LINK = register(
    "summary_link",
    label="Link to a shared summary",
    render=render_summary_link,
    still_wanted=summary_link_still_wanted,
    load=by_target(SummaryLinkEmail.objects.select_related("link__summary__appointment__patient")),
)


@transaction.atomic
def send_summary_link(link, address: str) -> SummaryLinkEmail:
    """Record that the patient sent `link` to `address`, and put the email in the
    outbox in the same transaction."""
    sent = SummaryLinkEmail.objects.create(link=link, address=address)
    enqueue(SUMMARY_LINK, target_id=sent.pk)
    return sent
