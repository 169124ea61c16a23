"""A patient's own repeating sessions: the next eight weeks exist as sessions, made
when the series starts and topped up daily by beat; running twice changes nothing;
each keeps the series' local wall-clock time across both clock changes, wherever
the patient lives; a moved or cancelled occurrence is never made again; stopping a
series cancels what is still to come."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from appointments import booking, series, tasks
from appointments.models import Appointment, SessionSeries
from notifications.models import Message
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def solo(db):
    """A patient whose therapist is not on the app."""
    return UserFactory(first_name="Robin", last_name="Hale", timezone="Europe/London")


def start_series(patient, first_local: datetime, every_weeks=1, **fields) -> SessionSeries:
    started = SessionSeries.objects.create(
        patient=patient,
        therapist_name="Dr Ines",
        kind=Appointment.Kind.IN_PERSON,
        location="12 Mill Lane",
        every_weeks=every_weeks,
        first_starts_at=first_local.astimezone(UTC),
        timezone=patient.timezone,
        duration_minutes=50,
        **fields,
    )
    series.materialise(started)
    return started


def local_starts(started: SessionSeries, zone=LONDON) -> list[datetime]:
    return [
        s.starts_at.astimezone(zone).replace(tzinfo=None)
        for s in started.sessions.order_by("occurrence")
    ]


class TestMaterialising:
    def test_a_weekly_series_holds_the_next_eight_weeks(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
        sessions = list(started.sessions.order_by("occurrence"))
        assert [s.occurrence for s in sessions] == list(range(8))
        assert all(s.therapist_id is None and s.therapist_name == "Dr Ines" for s in sessions)
        assert all(s.duration_minutes == 50 and s.location == "12 Mill Lane" for s in sessions)

    def test_a_fortnightly_series_holds_every_other_week(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON), every_weeks=2)
        assert local_starts(started) == [
            datetime(2026, 6, 2, 18),
            datetime(2026, 6, 16, 18),
            datetime(2026, 6, 30, 18),
            datetime(2026, 7, 14, 18),
        ]

    def test_running_again_changes_nothing(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
            reminders = Message.objects.count()
            assert series.materialise(started) == 0
            assert tasks.materialise_session_series() == 0
        assert started.sessions.count() == 8
        assert Message.objects.count() == reminders

    def test_the_daily_run_adds_the_week_that_came_into_range(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
        with time_machine.travel(datetime(2026, 6, 8, 9, tzinfo=UTC), tick=False):
            assert tasks.materialise_session_series() == 1
        assert started.sessions.count() == 9
        assert local_starts(started)[-1] == datetime(2026, 7, 28, 18)

    def test_each_new_session_gets_its_reminders_and_no_booking_notice(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
        for session in started.sessions.all():
            assert set(
                Message.objects.filter(target_id=session.pk).values_list("kind", "variant")
            ) == {("appointment_reminder", "first"), ("appointment_reminder", "second")}

    def test_a_series_starting_beyond_the_horizon_still_shows_its_first_session(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 10, 6, 18, tzinfo=LONDON))
        assert local_starts(started) == [datetime(2026, 10, 6, 18)]

    def test_the_daily_task_is_on_the_beat_schedule(self):
        entries = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        entry = entries["appointments.tasks.materialise_session_series"]
        assert entry["schedule"] == 86400.0 and entry["options"]["expires"] < 86400


class TestClockChanges:
    def test_spring_forward_keeps_six_in_the_evening_in_london(self, solo):
        # The clocks go forward on 29 March 2026: 18:00 is 18:00 UTC before, 17:00 after.
        with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 3, 17, 18, tzinfo=LONDON))
        assert {t.time() for t in local_starts(started)} == {datetime(2026, 1, 1, 18).time()}
        utc_hours = [s.starts_at.astimezone(UTC).hour for s in started.sessions.all()]
        assert utc_hours[:2] == [18, 18] and set(utc_hours[2:]) == {17}

    def test_autumn_back_keeps_six_in_the_evening_and_the_daily_run_follows(self, solo):
        # Back on 25 October 2026: 17:00 UTC before, 18:00 UTC after.
        with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 10, 13, 18, tzinfo=LONDON))
        with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=UTC), tick=False):
            series.materialise(SessionSeries.objects.get(pk=started.pk))
        assert {t.time() for t in local_starts(started)} == {datetime(2026, 1, 1, 18).time()}
        by_day = {
            s.starts_at.astimezone(LONDON).date(): s.starts_at.astimezone(UTC).hour
            for s in started.sessions.all()
        }
        assert by_day[datetime(2026, 10, 20).date()] == 17
        assert by_day[datetime(2026, 10, 27).date()] == 18
        assert by_day[datetime(2026, 12, 29).date()] == 18

    def test_a_patient_in_new_york_keeps_their_own_time_across_their_changes(self, db):
        patient = UserFactory(timezone="America/New_York")
        # New York springs forward on 8 March 2026, London on 29 March.
        with time_machine.travel(datetime(2026, 2, 20, 9, tzinfo=UTC), tick=False):
            started = start_series(patient, datetime(2026, 2, 26, 9, 30, tzinfo=NEW_YORK))
        assert started.timezone == "America/New_York"
        assert {t.time() for t in local_starts(started, NEW_YORK)} == {
            datetime(2026, 1, 1, 9, 30).time()
        }
        utc = [s.starts_at.astimezone(UTC).hour for s in started.sessions.order_by("starts_at")]
        assert utc[:2] == [14, 14] and set(utc[2:]) == {13}


class TestMovedAndCancelled:
    def test_a_moved_or_cancelled_occurrence_is_never_made_again(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
            moved = started.sessions.get(occurrence=1)
            moved.starts_at += timedelta(days=1)
            moved.ends_at += timedelta(days=1)
            booking.save_booking(moved)
            cancelled = started.sessions.get(occurrence=2)
            assert booking.cancel(cancelled, solo)
            assert series.materialise(started) == 0
        assert started.sessions.count() == 8
        moved.refresh_from_db()
        assert moved.starts_at.astimezone(LONDON).day == 10 and moved.sequence == 1
        assert started.sessions.filter(occurrence=2).get().is_cancelled

    def test_stopping_cancels_what_is_to_come_and_makes_no_more(self, solo):
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 5, 26, 18, tzinfo=LONDON))
        with time_machine.travel(datetime(2026, 6, 10, 9, tzinfo=UTC), tick=False):
            assert series.stop(started) == 6
            assert series.stop(started) == 0
            assert tasks.materialise_session_series() == 0
            to_come = started.sessions.filter(starts_at__gt=datetime(2026, 6, 10, 9, tzinfo=UTC))
            assert not Message.objects.pending().filter(target_id__in=to_come.values("pk")).exists()
        # Begun on 26 May: the 2 and 9 June sessions had happened when it stopped.
        outcomes = [s.outcome for s in started.sessions.order_by("occurrence")]
        assert outcomes[:2] == ["", ""]
        assert set(outcomes[2:]) == {Appointment.Outcome.CANCELLED_BY_PATIENT}

    def test_a_run_holding_a_series_ended_since_it_was_read_makes_nothing(self, solo):
        # The daily run read the series; a stop (or bringing it into care with a
        # therapist, prep/linking.py) ended it before the run reached it.
        with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
            started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
        read_by_the_run = SessionSeries.objects.get(pk=started.pk)
        with time_machine.travel(datetime(2026, 6, 20, 9, tzinfo=UTC), tick=False):
            SessionSeries.objects.filter(pk=started.pk).update(ended_at=datetime.now(UTC))
            assert read_by_the_run.ended_at is None
            assert series.materialise(read_by_the_run) == 0
        assert started.sessions.count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_run_waiting_on_a_stop_makes_nothing_once_it_commits():
    """GIVEN a stop (or a "bring", prep/linking.py) that has ended the series and not
    yet committed WHEN the daily run reaches the series THEN it waits for the lock and
    then sees the series ended: no own session after the stop."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs this)")
    solo = UserFactory(timezone="Europe/London")
    with time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=UTC), tick=False):
        started = start_series(solo, datetime(2026, 6, 2, 18, tzinfo=LONDON))
    read_by_the_run = SessionSeries.objects.get(pk=started.pk)
    locked, made = threading.Event(), []

    def daily_run():
        try:
            locked.wait()
            with time_machine.travel(datetime(2026, 6, 20, 9, tzinfo=UTC), tick=False):
                made.append(series.materialise(read_by_the_run))
        finally:
            connections.close_all()

    run = threading.Thread(target=daily_run)
    run.start()
    with transaction.atomic():
        SessionSeries.objects.filter(pk=started.pk).update(ended_at=datetime.now(UTC))
        locked.set()
        run.join(timeout=1)
        assert run.is_alive()  # waiting on the row lock
    run.join()
    assert made == [0]
    assert started.sessions.count() == 8
