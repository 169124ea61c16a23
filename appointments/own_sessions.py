"""A patient's own sessions, kept by the patient because their therapist is not on
the app: adding one (once, or a weekly or fortnightly series) and moving one. Only
the patient ever sees them; reminders, calendar files and summaries work as for any
session (emails.py and prep/ know an own session by its missing therapist)."""

from django.db import transaction

from accounts.models import User

from . import booking, series
from .models import Appointment, SessionSeries


@transaction.atomic
def add(patient: User, details: dict) -> tuple[Appointment, SessionSeries | None]:
    """The first (or only) session and, for a repeating one, its series with the
    next weeks' sessions. `details` is OwnSessionForm's cleaned data."""
    every = details["repeats"]
    if every == "once":
        session = Appointment(patient=patient, therapist=None, occurrence=None)
        _fill(session, details)
        return booking.save_booking(session), None
    started = SessionSeries.objects.create(
        patient=patient,
        therapist_name=details["therapist_name"],
        kind=details["kind"],
        location=details["location"],
        every_weeks=int(every),
        first_starts_at=details["starts_at"],
        timezone=patient.timezone,
        duration_minutes=details["duration"],
    )
    series.materialise(started)
    return started.sessions.get(occurrence=0), started


def move(session: Appointment, details: dict) -> Appointment:
    """A new time, place or name for one session (a series' other sessions stay as
    they are). booking.save_booking bumps its sequence when the time or place
    changes, so a calendar that holds it updates the one event."""
    _fill(session, details)
    return booking.save_booking(session)


def _fill(session: Appointment, details: dict) -> None:
    session.therapist_name = details["therapist_name"]
    session.kind = details["kind"]
    session.location = details["location"]
    session.starts_at = details["starts_at"]
    session.ends_at = details["ends_at"]
