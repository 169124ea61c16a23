"""What an appointment email carries: signed, expiring confirm/cancel/rebook links
that work without signing in, and the .ics calendar file."""

from datetime import UTC, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from notifications.links import site_url

from .models import Appointment

# Unchanged, so links already sent keep working.
ACTION_SALT = "prep.appointment-action"
# Links in emails stop working after this long (and once the session has started).
ACTION_MAX_AGE = timedelta(days=14)


class LinkError(Exception):
    """Why an emailed link cannot be used; `reason` picks the page shown."""

    def __init__(self, reason: str, appointment: Appointment | None = None):
        super().__init__(reason)
        self.reason = reason
        self.appointment = appointment


def action_link(appointment: Appointment, action: str) -> str:
    token = signing.dumps(
        {"a": appointment.pk, "do": action, "s": appointment.sequence}, salt=ACTION_SALT
    )
    return site_url(reverse("appointments:appointment_action", args=[token]))


def read_action_link(token: str) -> tuple[Appointment, str]:
    try:
        data = signing.loads(token, salt=ACTION_SALT, max_age=ACTION_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    appointment = (
        Appointment.objects.select_related("patient", "therapist").filter(pk=data.get("a")).first()
    )
    if appointment is None or data.get("do") not in ("confirm", "cancel", "rebook"):
        raise LinkError("invalid")
    if data["do"] == "rebook" and appointment.is_own:
        # No one on the app to ask for a new time (own sessions' emails offer none).
        raise LinkError("invalid")
    if data["do"] != "rebook":
        if appointment.is_cancelled:
            raise LinkError("cancelled", appointment)
        if appointment.has_started:
            raise LinkError("started", appointment)
        if data.get("s") != appointment.sequence:
            raise LinkError("moved", appointment)
    return appointment, data["do"]


def event_uid(appointment: Appointment) -> str:
    """The session's identity in every calendar: the same in each emailed invitation
    and in the calendar feed (appointments/feed.py), so both update one event."""
    host = settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "localhost"
    return f"appointment-{appointment.pk}@{host}"


def session_event(
    appointment: Appointment, *, summary: str, cancelled: bool = False, stamp=None
) -> Event:
    """The one VEVENT for a session, whichever calendar carries it: when and where,
    never anything logged about it. SEQUENCE follows every move and cancellation."""
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", (stamp or timezone.now()).astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", summary)
    if appointment.location:
        event.add("location", appointment.location)
    event.add("status", "CANCELLED" if cancelled or appointment.is_cancelled else "CONFIRMED")
    return event


def calendar_method(appointment: Appointment, *, cancel: bool = False) -> str:
    """The iTIP method of the session's emailed calendar file. An own session is
    nobody's invitation: iTIP's REQUEST and CANCEL need an organiser who invites,
    so it is published to the patient's calendar instead, cancelled by its STATUS."""
    if appointment.is_own:
        return "PUBLISH"
    return "CANCEL" if cancel else "REQUEST"


def calendar_file(appointment: Appointment, *, cancel: bool = False) -> bytes:
    """An iCalendar invitation; its UID is stable per appointment and SEQUENCE
    follows every move, so calendar apps update the one event."""
    method = calendar_method(appointment, cancel=cancel)
    calendar = Calendar()
    calendar.add("prodid", "-//Between Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = session_event(
        appointment, summary=f"Session with {appointment.with_whom}", cancelled=cancel
    )
    if method == "PUBLISH":
        # PUBLISH names its organiser and no attendees: the patient noted it.
        event.add("organizer", f"mailto:{appointment.patient.email}")
    else:
        event.add("organizer", f"mailto:{appointment.therapist.email}")
        event.add("attendee", f"mailto:{appointment.patient.email}")
    calendar.add_component(event)
    return calendar.to_ical()
