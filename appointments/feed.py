"""A person's private calendar feed: their sessions in their own calendar app, kept
in step with moves and cancellations each time the app checks the address.

The feed's address holds a long random secret and works without signing in (a
calendar app cannot sign in), so it carries only what a calendar needs: when, where
and with whom, never anything logged, scored or written about a session. A calendar
company keeps a copy, so a therapist's feed names a patient only by first name and
initial. Only a hash of the secret is stored; the address is shown once, and making
a new one stops the old.
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from notifications.links import site_url

from .links import session_event
from .models import Appointment, CalendarFeed

# From two months back (so a recent session can still be looked up) to a year ahead.
LOOK_BACK = timedelta(days=60)
LOOK_AHEAD = timedelta(days=365)
# How often calendar apps are asked to check again (many check less often anyway).
REFRESH = timedelta(hours=1)
CALENDAR_NAME = "Between Sessions"
# Who may have a feed: the people sessions are with.
ROLES = (User.Role.PATIENT, User.Role.THERAPIST)


def _hash(token: str) -> str:
    # The secret is 256 random bits, so a plain (unkeyed) hash cannot be reversed by
    # guessing, and rotating the encryption keys leaves every feed working.
    return hashlib.sha256(token.encode()).hexdigest()


def live_feed(person: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True).first()


@transaction.atomic
def make_feed(person: User) -> str:
    """A new secret address for this person's feed, returned once and never stored;
    any feed they had stops answering at once."""
    # Two requests at once (two tabs) are made one after the other, so each person
    # has at most one live feed (the constraint on CalendarFeed relies on it).
    User.objects.select_for_update().filter(pk=person.pk).first()
    CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(owner=person, token_hash=_hash(token))
    return token


def stop_feed(person: User) -> bool:
    """Stop the person's feed; False if they had none."""
    return bool(
        CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )


def feed_urls(token: str) -> tuple[str, str]:
    """The feed's https address, and the same as a webcal:// link (which calendar
    apps open as a subscription)."""
    https = site_url(reverse("appointments:calendar_feed_file", args=[token]))
    return https, "webcal://" + https.split("://", 1)[1]


def feed_for(token: str) -> CalendarFeed | None:
    """The live feed this secret opens, or None (unknown, stopped or replaced alike)."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("owner")
        .filter(
            token_hash=_hash(token),
            revoked_at__isnull=True,
            owner__is_active=True,
            owner__role__in=ROLES,
        )
        .first()
    )


def sessions_in_feed(person: User):
    """The person's sessions in the feed's window, cancelled ones included (so a
    calendar app removes or strikes them). A therapist's are only with patients
    still in their care; a patient's include their own sessions."""
    now = timezone.now()
    if person.role == User.Role.THERAPIST:
        sessions = Appointment.objects.of_therapist(person)
    else:
        sessions = Appointment.objects.filter(patient=person)
    return sessions.filter(
        starts_at__gte=now - LOOK_BACK, starts_at__lt=now + LOOK_AHEAD
    ).select_related("patient", "therapist")


def name_in_a_patients_calendar(appointment: Appointment) -> str:
    """A neutral title ("Session with Dana Reyes"), so a glance at the calendar (or the
    calendar company) does not read "therapy"."""
    return f"Session with {appointment.with_whom}" if appointment.with_whom else "Session"


def name_in_a_therapists_calendar(appointment: Appointment) -> str:
    """First name and the last name's initial ("Sam P."): enough for the therapist
    to know whom, little for the calendar company to keep."""
    patient = appointment.patient
    if patient.is_erased or not patient.first_name:
        return "Session"
    initial = f" {patient.last_name[:1]}." if patient.last_name else ""
    return f"Session with {patient.first_name}{initial}"


def calendar_for(person: User) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Between Sessions//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    title = (
        name_in_a_therapists_calendar
        if person.role == User.Role.THERAPIST
        else name_in_a_patients_calendar
    )
    for appointment in sessions_in_feed(person):
        # Stamped with the session's last change, so an unchanged session reads the
        # same on every fetch.
        calendar.add_component(
            session_event(appointment, summary=title(appointment), stamp=appointment.updated_at)
        )
    return calendar.to_ical()
