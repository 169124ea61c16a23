"""Booking rules, in one place: times in the therapist's own zone, never in the
past, never two sessions at once for one therapist, attendance only once a session
has started, and care that ends cancels what is still to come."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import CareLink, User

from . import emails
from .models import Appointment
from .signals import outcome_recorded


class BookingError(Exception):
    pass


def local_start(day: date, start: time, zone) -> datetime:
    """The moment `day` at `start` where the therapist is. A wall-clock time that does
    not exist (skipped when the clocks go forward) is refused."""
    aware = datetime.combine(day, start, tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != aware.replace(tzinfo=None):
        raise BookingError("That time doesn’t exist on this day because the clocks change.")
    return aware


def check_free(therapist, starts_at: datetime, ends_at: datetime, exclude_id=None) -> None:
    """BookingError naming the therapist's other booked session at this time, if any.
    The booking form asks first (to show it on the field); save_booking asks again
    with the therapist's row locked."""
    if therapist is None:
        # An own session: the therapist is not on the app, so their diary is not here.
        return
    overlapping = Appointment.objects.booked().filter(
        therapist=therapist, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_id:
        overlapping = overlapping.exclude(pk=exclude_id)
    other = overlapping.order_by("starts_at").first()
    if other:
        zone = therapist.zone
        raise BookingError(
            "You already have a session then ("
            f"{other.starts_at.astimezone(zone):%H:%M}–{other.ends_at.astimezone(zone):%H:%M})."
        )


@transaction.atomic
def save_booking(appointment: Appointment) -> Appointment:
    """Book or move a session. The therapist's row is locked first, so two bookings
    racing for the same hour are checked one after the other."""
    # An own session locks its patient instead: their own edits, one after the other.
    User.objects.select_for_update().filter(
        pk=appointment.therapist_id or appointment.patient_id
    ).first()
    if appointment.starts_at <= timezone.now():
        raise BookingError("Choose a time in the future.")
    check_free(appointment.therapist, appointment.starts_at, appointment.ends_at, appointment.pk)
    is_new, changed = appointment.pk is None, False
    if not is_new:
        previous = Appointment.objects.get(pk=appointment.pk)
        changed = (previous.starts_at, previous.ends_at, previous.location, previous.kind) != (
            appointment.starts_at,
            appointment.ends_at,
            appointment.location,
            appointment.kind,
        )
        if changed:
            appointment.sequence = previous.sequence + 1
            # "I'll be there" was said of the old time; the new one asks again.
            appointment.confirmed_at = None
    appointment.save()
    if is_new or changed:
        emails.plan_for_booking(appointment, moved=not is_new)
    return appointment


@transaction.atomic
def cancel(appointment: Appointment, by: User) -> bool:
    """Cancel a session that has not happened, with its pending reminders; returns
    False if it had already started or had an outcome."""
    outcome = (
        Appointment.Outcome.CANCELLED_BY_PATIENT
        if by.pk == appointment.patient_id
        else Appointment.Outcome.CANCELLED_BY_THERAPIST
    )
    cancelled = Appointment.objects.filter(
        pk=appointment.pk, outcome="", starts_at__gt=timezone.now()
    ).update(outcome=outcome, outcome_recorded_at=timezone.now(), sequence=F("sequence") + 1)
    if cancelled:
        appointment.refresh_from_db()
        emails.plan_for_cancellation(appointment)
    return bool(cancelled)


@transaction.atomic
def record_outcome(appointment: Appointment, outcome: str) -> None:
    if not appointment.has_started:
        raise BookingError("Attendance can be recorded once the session has started.")
    if appointment.is_cancelled:
        raise BookingError("That session was cancelled.")
    appointment.outcome = outcome
    appointment.outcome_recorded_at = timezone.now()
    appointment.save(update_fields=["outcome", "outcome_recorded_at", "updated_at"])
    emails.plan_for_outcome(appointment)
    outcome_recorded.send(sender=Appointment, appointment=appointment)


def needing_attendance(therapist):
    """Sessions that started in the last 30 days with nothing recorded yet."""
    now = timezone.now()
    return (
        Appointment.objects.of_therapist(therapist)
        .filter(
            outcome="",
            starts_at__lte=now,
            starts_at__gte=now - timedelta(days=30),
        )
        .select_related("patient")
        .order_by("starts_at")
    )


def sessions_still_to_come(therapist: User, patient: User):
    """The sessions ending care between these two cancels."""
    return Appointment.objects.filter(
        therapist=therapist, patient=patient, outcome="", starts_at__gt=timezone.now()
    ).order_by("starts_at")


@dataclass(frozen=True)
class EndingCare:
    """What ending care would do, for the page that asks before it happens."""

    sessions: list[Appointment]
    # Who gets an email about each cancelled session (None: nobody).
    emailed: User | None
    # Sessions less than a day away: a patient who leaves also gets a note about
    # cancelling late for each (emails.plan_for_cancellation).
    late: list[Appointment]


def what_ending_care_does(therapist: User, patient: User, by: User) -> EndingCare:
    sessions = list(sessions_still_to_come(therapist, patient))
    emailed = emails.who_hears_of_cancellations(patient) if sessions else None
    by_patient = by.pk == patient.pk
    late = [s for s in sessions if by_patient and emailed and emails.is_late_cancellation(s)]
    return EndingCare(sessions, emailed, late)


@transaction.atomic
def end_care(therapist: User, patient: User, by: User) -> int:
    """Care ends, at either one's request: the link closes (the therapist's pages drop
    the patient at once) and sessions still to come are cancelled, with notices.
    Returns how many sessions were cancelled."""
    CareLink.objects.filter(therapist=therapist, patient=patient, ended_at=None).update(
        ended_at=timezone.now()
    )
    upcoming = sessions_still_to_come(therapist, patient)
    return sum(cancel(appointment, by) for appointment in upcoming)
