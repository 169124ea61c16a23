"""A patient's own repeating sessions (their therapist is not on the app): the next
weeks' sessions are kept in place, each at the series' wall-clock time in its time
zone, so a clock change never moves them. Runs when a series starts and daily from
beat (appointments.tasks); running twice changes nothing, and an occurrence the
patient moved or cancelled keeps its number and is never booked again."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import booking, emails
from .models import Appointment, SessionSeries

# How far ahead a series' sessions exist as sessions (reminders, summaries, the list).
HORIZON = timedelta(weeks=8)


def occurrence_start(series: SessionSeries, number: int) -> datetime:
    """When occurrence `number` starts, in UTC: the first session's local day plus
    whole weeks, at its local time. A time the clocks skip that day falls an hour
    later (Python's reading of it); an hour that happens twice, at its first."""
    zone = ZoneInfo(series.timezone)
    first = series.first_starts_at.astimezone(zone)
    day = first.date() + timedelta(weeks=number * series.every_weeks)
    return datetime.combine(day, first.time(), tzinfo=zone).astimezone(UTC)


def upcoming_numbers(series: SessionSeries, now: datetime, until: datetime) -> list[int]:
    """The occurrences starting after `now` and no later than `until`."""
    step = timedelta(weeks=series.every_weeks)
    # A week either side of the estimate covers a clock change's hour.
    number = max(0, (now - series.first_starts_at) // step - 1)
    numbers = []
    while (starts_at := occurrence_start(series, number)) <= until:
        if starts_at > now:
            numbers.append(number)
        number += 1
    return numbers


def materialise(series: SessionSeries, now: datetime | None = None) -> int:
    """Create the sessions of the next weeks that do not exist yet, with their
    reminders; returns how many were created."""
    with transaction.atomic():
        # The series row stays locked until these sessions are committed: a stop
        # or a "bring" (prep/linking.py) that ended it meanwhile is seen here, and
        # one that comes later waits and then sees these sessions too.
        locked = SessionSeries.objects.select_for_update().filter(pk=series.pk).first()
        if locked is None or locked.ended_at is not None:
            return 0
        return _make_sessions(locked, now or timezone.now())


def _make_sessions(series: SessionSeries, now: datetime) -> int:
    existing = set(Appointment.objects.filter(series=series).values_list("occurrence", flat=True))
    created = 0
    # A series that starts beyond the horizon still shows its first session.
    until = max(now + HORIZON, series.first_starts_at)
    for number in upcoming_numbers(series, now, until):
        if number in existing:
            continue
        starts_at = occurrence_start(series, number)
        try:
            # The unique (series, occurrence) constraint settles a race with a
            # second run: the loser's savepoint rolls back and it moves on.
            with transaction.atomic():
                session = Appointment.objects.create(
                    patient_id=series.patient_id,
                    therapist=None,
                    therapist_name=series.therapist_name,
                    kind=series.kind,
                    location=series.location,
                    series=series,
                    occurrence=number,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=series.duration_minutes),
                )
                emails.plan_for_booking(session)
        except IntegrityError:
            continue
        created += 1
    return created


def materialise_all(now: datetime | None = None) -> int:
    """Every running series, each on its own: returns how many sessions were made."""
    series_ids = SessionSeries.objects.filter(ended_at=None).values_list("pk", flat=True)
    created = 0
    for series_id in series_ids.iterator():
        series = SessionSeries.objects.filter(pk=series_id, ended_at=None).first()
        if series is not None:
            created += materialise(series, now)
    return created


def sessions_to_cancel(series: SessionSeries):
    """The series' sessions that stopping it cancels: those still to come."""
    return Appointment.objects.filter(
        series=series, outcome="", starts_at__gt=timezone.now()
    ).order_by("starts_at")


@transaction.atomic
def stop(series: SessionSeries) -> int:
    """Stop a series: no more sessions are made, and those still to come are
    cancelled with their reminders. Returns how many were cancelled."""
    stopped = SessionSeries.objects.filter(pk=series.pk, ended_at=None).update(
        ended_at=timezone.now()
    )
    if not stopped:
        return 0
    series.refresh_from_db()
    return sum(booking.cancel(session, series.patient) for session in sessions_to_cancel(series))
