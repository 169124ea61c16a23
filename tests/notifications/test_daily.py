"""The daily log nudge: planned at the patient's own local time, never at night,
skipped on a day already logged or while paused, re-planned when the time changes."""

from datetime import UTC, datetime, time, timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.urls import reverse

from journal.emails import DAILY_NUDGE
from notifications import daily, dispatch, tasks
from notifications.models import EmailPreference, Message
from tests.factories import DailyEntryFactory

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Status = Message.Status


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def plan_one(person) -> Message:
    [nudge] = daily.plan(person)
    return nudge


def test_it_comes_at_the_patients_local_time_and_not_when_logged(_clock, patient):
    patient.reminder_time = time(20, 0)
    patient.save()
    row = plan_one(patient)
    assert (row.kind, row.recipient) == (DAILY_NUDGE, patient)
    assert row.due_at == datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # 20:00 BST
    _clock.move_to(row.due_at)
    dispatch.dispatch()
    assert any("A minute for today?" in m.subject for m in sent_to(patient.email))

    tomorrow = plan_one(patient)
    DailyEntryFactory(patient=patient, day=tomorrow.due_at.date())
    mail.outbox.clear()
    _clock.move_to(tomorrow.due_at)
    dispatch.dispatch()
    assert sent_to(patient.email) == []
    tomorrow.refresh_from_db()
    assert tomorrow.status == Status.SKIPPED


@pytest.mark.parametrize(
    ("now", "due_utc"),
    [
        # London, 20:00 local: GMT the day before the clocks go forward, BST after.
        (datetime(2026, 3, 28, 9, 0, tzinfo=UTC), datetime(2026, 3, 28, 20, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 9, 0, tzinfo=UTC), datetime(2026, 3, 29, 19, 0, tzinfo=UTC)),
        (datetime(2026, 10, 24, 9, 0, tzinfo=UTC), datetime(2026, 10, 24, 19, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), datetime(2026, 10, 25, 20, 0, tzinfo=UTC)),
    ],
)
def test_it_follows_daylight_saving(_clock, patient, now, due_utc):
    patient.reminder_time = time(20, 0)
    patient.save()
    _clock.move_to(now)
    assert plan_one(patient).due_at == due_utc


def test_it_follows_the_patients_own_zone(patient):
    patient.timezone = "America/New_York"
    patient.reminder_time = time(20, 0)
    patient.save()
    assert plan_one(patient).due_at == datetime(2026, 6, 2, 0, 0, tzinfo=UTC)  # 20:00 EDT


def test_never_at_night(patient):
    patient.reminder_time = time(23, 45)
    assert daily.send_time(patient, NOW.date()).time() == time(21, 30)
    patient.reminder_time = time(4, 0)
    assert daily.send_time(patient, NOW.date()).time() == time(7, 0)


def test_once_today_is_past_it_plans_tomorrow(_clock, patient):
    patient.reminder_time = time(8, 0)  # 07:00 UTC, before NOW
    patient.save()
    assert plan_one(patient).due_at == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)


def test_a_paused_nudge_is_not_sent(_clock, patient):
    EmailPreference.objects.create(user=patient, daily_paused_until=NOW.date() + timedelta(days=3))
    row = plan_one(patient)
    _clock.move_to(row.due_at)
    dispatch.dispatch()
    assert sent_to(patient.email) == []
    row.refresh_from_db()
    assert row.status == Status.SKIPPED


def test_nothing_is_planned_for_someone_who_turned_it_off(patient):
    EmailPreference.objects.create(user=patient, daily=False)
    assert daily.plan(patient) == []
    assert not Message.objects.exists()


def test_only_patients_get_a_nudge(therapist, manager):
    assert daily.plan(therapist) == []
    assert daily.plan(manager) == []


def test_the_daily_task_plans_each_patient_once(patient, other_patient, therapist):
    assert tasks.plan_daily_emails() == 2
    tasks.plan_daily_emails()
    assert sorted(Message.objects.pending().values_list("recipient", flat=True)) == sorted(
        [patient.pk, other_patient.pk]
    )


def test_changing_the_reminder_time_replans_in_the_same_step(client, patient):
    daily.plan(patient)
    client.force_login(patient)
    response = client.post(
        reverse("notifications:email_preferences"),
        {"reminders": "on", "reminder_first": "on", "reminder_second": "on",
         "bookings": "on", "daily": "on", "summaries": "on", "feedback": "on",
         "reminder_time": "18:30"},
    )  # fmt: skip
    assert response.status_code == 302
    [pending] = Message.objects.pending().filter(recipient=patient, kind=DAILY_NUDGE)
    assert pending.due_at == datetime(2026, 6, 1, 17, 30, tzinfo=UTC)


def test_a_nudge_planned_before_a_change_of_zone_is_dropped(_clock, patient):
    patient.reminder_time = time(20, 0)
    patient.save()
    row = plan_one(patient)
    # Changed without re-planning: the send-time check holds to the person's time now.
    patient.timezone = "America/New_York"
    patient.save()
    _clock.move_to(row.due_at)
    dispatch.dispatch()
    assert sent_to(patient.email) == []
    row.refresh_from_db()
    assert row.status == Status.SKIPPED


class TestReplanning:
    NOW = datetime(2026, 6, 1, 19, 30, tzinfo=UTC)  # 20:30 in London, after the 20:00 nudge

    def test_an_overdue_nudge_is_not_cancelled_by_replanning(self, _clock, patient):
        patient.reminder_time = time(20, 0)
        patient.save()
        _clock.move_to(self.NOW - timedelta(hours=2))
        today = plan_one(patient)
        _clock.move_to(self.NOW)
        daily.plan(patient)
        today.refresh_from_db()
        assert today.status == Status.PENDING

    def test_changing_the_time_away_and_back_keeps_a_nudge(self, _clock, patient):
        _clock.move_to(self.NOW - timedelta(hours=6))
        for hour in (20, 19, 20):
            patient.reminder_time = time(hour, 0)
            patient.save()
            daily.plan(patient)
        pending = Message.objects.pending().filter(recipient=patient, kind=DAILY_NUDGE)
        assert [r.due_at.astimezone(patient.zone).hour for r in pending] == [20]


class TestNeverLateNeverAtNight:
    """A nudge not sent within DAILY_EMAIL_WINDOW_MINUTES of its time (an outage, a run
    of retries), or only outside 07:00–21:30 on the patient's clock, is dropped as
    expired, visibly, instead of arriving late."""

    def plan_at(self, _clock, patient, now, reminder_time, zone="Europe/London") -> Message:
        patient.reminder_time = reminder_time
        patient.timezone = zone
        patient.save()
        _clock.move_to(now)
        return plan_one(patient)

    def test_after_an_outage_the_2130_nudge_is_not_sent_at_3am(self, _clock, patient):
        # The night London's clocks go forward: 21:30 GMT, then 03:00 BST.
        row = self.plan_at(_clock, patient, datetime(2027, 3, 27, 9, 0, tzinfo=UTC), time(21, 30))
        assert row.due_at == datetime(2027, 3, 27, 21, 30, tzinfo=UTC)
        _clock.move_to(datetime(2027, 3, 28, 2, 0, tzinfo=UTC))  # 03:00 BST
        assert dispatch.dispatch()["expired"] == 1
        assert sent_to(patient.email) == []
        row.refresh_from_db()
        assert (row.status, row.sent_at) == (Status.EXPIRED, None)
        assert row.get_status_display() == "Too late, not sent"

    def test_one_due_at_7_is_still_sent_at_half_past_8(self, _clock, patient):
        # The morning London's clocks go back: 07:00 is GMT again.
        row = self.plan_at(_clock, patient, datetime(2027, 10, 30, 22, 0, tzinfo=UTC), time(7, 0))
        assert row.due_at == datetime(2027, 10, 31, 7, 0, tzinfo=UTC)
        _clock.move_to(datetime(2027, 10, 31, 8, 30, tzinfo=UTC))
        assert dispatch.dispatch()["sent"] == 1
        assert any("A minute for today?" in m.subject for m in sent_to(patient.email))

    @pytest.mark.parametrize(
        ("late", "outcome"),
        [
            (timedelta(minutes=119), Status.SENT),
            (timedelta(minutes=120), Status.SENT),
            (timedelta(minutes=121), Status.EXPIRED),
        ],
    )
    def test_within_two_hours_by_default(self, _clock, patient, late, outcome):
        row = self.plan_at(_clock, patient, NOW, time(12, 0))  # 11:00 UTC
        _clock.move_to(row.due_at + late)
        dispatch.dispatch()
        row.refresh_from_db()
        assert row.status == outcome

    def test_the_window_is_a_setting(self, _clock, settings, patient):
        settings.DAILY_EMAIL_WINDOW_MINUTES = 30
        row = self.plan_at(_clock, patient, NOW, time(12, 0))
        _clock.move_to(row.due_at + timedelta(minutes=31))
        dispatch.dispatch()
        row.refresh_from_db()
        assert row.status == Status.EXPIRED

    def test_inside_the_window_but_after_half_past_9_on_their_clock(self, _clock, patient):
        # New York, the evening before its clocks go back: 21:00 EDT is 01:00 UTC.
        row = self.plan_at(
            _clock, patient, datetime(2027, 11, 6, 12, 0, tzinfo=UTC), time(21, 0),
            zone="America/New_York",
        )  # fmt: skip
        assert row.due_at == datetime(2027, 11, 7, 1, 0, tzinfo=UTC)
        _clock.move_to(datetime(2027, 11, 7, 1, 45, tzinfo=UTC))  # 21:45 EDT, 45 min late
        dispatch.dispatch()
        row.refresh_from_db()
        assert row.status == Status.EXPIRED
        assert sent_to(patient.email) == []

    def test_one_due_at_half_past_9_goes_during_that_minute(self, _clock, patient):
        row = self.plan_at(_clock, patient, NOW, time(21, 30))
        _clock.move_to(row.due_at + timedelta(seconds=50))
        assert dispatch.dispatch()["sent"] == 1

    def test_retries_that_run_past_the_window_end_as_expired(self, _clock, settings, patient):
        settings.REMINDER_RETRY_BASE_SECONDS = 3600
        row = self.plan_at(_clock, patient, NOW, time(12, 0))
        _clock.move_to(row.due_at)
        with mock.patch.object(
            locmem.EmailBackend, "send_messages", side_effect=SMTPException("451 try later")
        ):
            assert dispatch.dispatch()["retry"] == 1  # next try in an hour
            _clock.move_to(row.due_at + timedelta(hours=1))
            assert dispatch.dispatch()["retry"] == 1  # then in two
            _clock.move_to(row.due_at + timedelta(hours=3))
            assert dispatch.dispatch()["expired"] == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.EXPIRED, 2)

    def test_a_nudge_not_wanted_anyway_says_not_needed(self, _clock, patient):
        row = self.plan_at(_clock, patient, NOW, time(21, 30))
        DailyEntryFactory(patient=patient, day=NOW.date())
        _clock.move_to(row.due_at + timedelta(hours=6))
        dispatch.dispatch()
        row.refresh_from_db()
        assert row.status == Status.SKIPPED

    def test_the_admin_shows_it_as_too_late(self, client, _clock, patient):
        from tests.factories import UserFactory

        row = self.plan_at(_clock, patient, NOW, time(12, 0))
        _clock.move_to(row.due_at + timedelta(hours=3))
        dispatch.dispatch()
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        page = client.get(reverse("admin:notifications_message_changelist")).content.decode()
        assert "Too late, not sent" in page
