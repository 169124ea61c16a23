"""The dispatcher, the only way an email leaves: claims that two dispatchers never
share, stale claims released, refused emails retried with backoff and then failed
(and shown to the therapist), one mail connection per batch, the send-time check,
and a task running out of time leaving its claim for the next run."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments import emails
from appointments.models import Appointment
from notifications import dispatch, kinds
from notifications.compose import MESSAGE_HEADER
from notifications.models import EmailPreference, Message
from notifications.outbox import enqueue
from tests.factories import CareLinkFactory, UserFactory, book_session

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Status = Message.Status


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def book(therapist, patient, starts_at=NOW + timedelta(days=3)) -> Appointment:
    return book_session(therapist, patient, starts_at)


def booked_row(appointment) -> Message:
    return Message.objects.get(kind=emails.BOOKED, target_id=appointment.pk)


def sent_to(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


def kind_changed(name: str, **changes):
    """The registered kind `name` with some of its parts replaced, for one test."""
    return mock.patch.dict(kinds.KINDS, {name: replace(kinds.get(name), **changes)})


class TestClaims:
    def test_two_dispatchers_claim_different_rows(self, therapist, patient):
        book(therapist, patient)
        first = dispatch.claim_due(10)
        second = dispatch.claim_due(10)
        assert first and second == []

    def test_only_rows_whose_time_has_come_are_claimed(self, therapist, patient):
        appointment = book(therapist, patient)
        assert dispatch.claim_due(10) == [booked_row(appointment).pk]

    def test_a_dead_workers_claims_go_back_to_pending(self, _clock, settings, therapist, patient):
        appointment = book(therapist, patient)
        dispatch.claim_due(10)  # claimed, then the worker died
        _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT - 1))
        assert dispatch.release_stale_claims() == 0  # still someone's
        _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
        dispatch.dispatch()
        assert booked_row(appointment).status == Status.SENT
        assert len(sent_to(patient.email)) == 1

    def test_a_row_reclaimed_by_another_dispatcher_is_not_sent_twice(
        self, _clock, settings, therapist, patient
    ):
        """GIVEN a slow dispatcher holding a row whose claim went stale and was taken
        over WHEN the slow one finally reaches the row THEN it leaves it to the new
        owner."""
        appointment = book(therapist, patient)
        dispatch.claim_due(10)
        held_by_slow_worker = booked_row(appointment)
        _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
        dispatch.release_stale_claims()
        fresh_ids = dispatch.claim_due(10)
        assert dispatch._send_one(held_by_slow_worker, get_connection()) == "skipped"
        assert sent_to(patient.email) == []
        assert dispatch.send_claimed(fresh_ids)["sent"] == 1
        assert len(sent_to(patient.email)) == 1


class TestFailures:
    def test_a_refusing_mail_server_means_retries_with_backoff_then_failed(
        self, _clock, settings, therapist, patient
    ):
        settings.REMINDER_MAX_ATTEMPTS = 3
        appointment = book(therapist, patient)
        row = booked_row(appointment)
        with mock.patch.object(
            locmem.EmailBackend, "send_messages", side_effect=SMTPException("550 no")
        ):
            dispatch.dispatch()
            row.refresh_from_db()
            assert (row.status, row.attempts) == (Status.PENDING, 1)
            assert row.next_attempt_at == NOW + timedelta(seconds=60)
            dispatch.dispatch()  # not yet due again
            row.refresh_from_db()
            assert row.attempts == 1
            _clock.move_to(NOW + timedelta(seconds=61))
            dispatch.dispatch()
            row.refresh_from_db()
            assert row.next_attempt_at == NOW + timedelta(seconds=61 + 120)
            _clock.move_to(NOW + timedelta(seconds=200))
            dispatch.dispatch()
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.FAILED, 3)
        assert row.sent_at is None
        assert "550" in row.last_error
        _clock.move_to(NOW + timedelta(hours=1))
        dispatch.dispatch()  # a failed row stays failed
        assert sent_to(patient.email) == []

    def test_an_unreachable_mail_server_uses_up_no_attempts(self, _clock, therapist, patient):
        appointment = book(therapist, patient)
        with mock.patch.object(
            locmem.EmailBackend, "open", side_effect=ConnectionRefusedError("refused")
        ):
            assert dispatch.dispatch()["retry"] == 1
        row = booked_row(appointment)
        assert (row.status, row.attempts) == (Status.PENDING, 0)
        assert row.last_error.startswith("Mail server unreachable")
        _clock.move_to(row.next_attempt_at)
        assert dispatch.dispatch()["sent"] == 1

    def test_failed_emails_are_visible_to_the_therapist(self, client, therapist, patient):
        appointment = book(therapist, patient)
        Message.objects.filter(pk=booked_row(appointment).pk).update(
            status=Status.FAILED, attempts=6, last_error="550 mailbox full"
        )
        client.force_login(therapist)
        page = client.get(reverse("appointments:reminder_log")).content.decode()
        assert "could not be delivered" in page
        assert "550 mailbox full" in page

    def test_one_broken_email_does_not_hold_up_the_batch(self, therapist, patient):
        first = book(therapist, patient)
        book(therapist, patient, starts_at=NOW + timedelta(days=4))
        render = kinds.get(emails.BOOKED).render

        def broken_for_the_first(message):
            if message.target_id == first.pk:
                raise ValueError("a broken template")
            return render(message)

        with kind_changed(emails.BOOKED, render=broken_for_the_first):
            totals = dispatch.dispatch()
        assert (totals["sent"], totals["retry"]) == (1, 1)
        assert booked_row(first).last_error == "a broken template"


class TestRunningOutOfTime:
    """Celery's soft time limit stops the task: the email being sent is not its
    fault, so it is not a failed attempt; the claim stays and goes stale, and the
    next run after REMINDER_CLAIM_TIMEOUT sends it."""

    @pytest.fixture(params=["while rendering", "while sending"])
    def out_of_time(self, request):
        if request.param == "while rendering":
            return kind_changed(emails.BOOKED, render=mock.Mock(side_effect=SoftTimeLimitExceeded))
        return mock.patch.object(
            locmem.EmailBackend, "send_messages", side_effect=SoftTimeLimitExceeded
        )

    def test_the_dispatcher_stops_and_the_email_is_not_counted_as_failed(
        self, _clock, settings, out_of_time, therapist, patient
    ):
        appointment = book(therapist, patient)
        with out_of_time, pytest.raises(SoftTimeLimitExceeded):
            dispatch.dispatch()
        row = booked_row(appointment)
        assert (row.status, row.attempts, row.last_error) == (Status.SENDING, 0, "")
        assert row.claimed_at == NOW
        assert sent_to(patient.email) == []

        _clock.move_to(NOW + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
        assert dispatch.release_stale_claims() == 1
        assert dispatch.dispatch()["sent"] == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.SENT, 0)
        assert len(sent_to(patient.email)) == 1


class CountingBackend(locmem.EmailBackend):
    """The test backend, remembering every connection made and what went through it."""

    made: list["CountingBackend"] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = []
        CountingBackend.made.append(self)

    def send_messages(self, messages):
        self.sent.extend(messages)
        return super().send_messages(messages)


@pytest.mark.parametrize(("batch_size", "per_connection"), [(50, [3]), (2, [2, 1]), (1, [1, 1, 1])])
def test_each_batch_goes_over_one_mail_connection(
    settings, therapist, patient, batch_size, per_connection
):
    for day in (3, 4, 5):
        book(therapist, patient, starts_at=NOW + timedelta(days=day))
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.made = []
    assert dispatch.dispatch(batch_size=batch_size)["sent"] == 3
    assert [len(backend.sent) for backend in CountingBackend.made] == per_connection


class TestStillWanted:
    def test_an_email_to_someone_who_has_left_is_skipped(self, therapist, patient):
        appointment = book(therapist, patient)
        patient.is_active = False
        patient.save()
        assert dispatch.dispatch() == {
            "sent": 0,
            "skipped": 1,
            "expired": 0,
            "retry": 0,
            "failed": 0,
        }
        assert booked_row(appointment).status == Status.SKIPPED
        assert mail.outbox == []

    def test_the_kinds_own_check_is_asked_at_send_time(self, therapist, patient):
        appointment = book(therapist, patient)
        with kind_changed(emails.BOOKED, still_wanted=lambda message: False):
            dispatch.dispatch()
        assert booked_row(appointment).status == Status.SKIPPED
        assert mail.outbox == []


class TestTooLate:
    """A kind may say how long after its due time it is still worth sending; one not
    sent by then is marked expired, never sent late, and shows as such."""

    def test_a_kind_with_a_window_expires_after_it(self, client, _clock, therapist, patient):
        appointment = book(therapist, patient)
        window = kind_changed(emails.BOOKED, worth_sending_for=lambda: timedelta(minutes=10))
        _clock.move_to(NOW + timedelta(minutes=11))
        with window:
            assert dispatch.dispatch()["expired"] == 1
        assert sent_to(patient.email) == []
        assert booked_row(appointment).status == Status.EXPIRED
        client.force_login(therapist)
        page = client.get(reverse("appointments:reminder_log")).content.decode()
        assert "Too late, not sent" in page

    def test_inside_its_window_it_is_sent(self, _clock, therapist, patient):
        book(therapist, patient)
        _clock.move_to(NOW + timedelta(minutes=10))
        with kind_changed(emails.BOOKED, worth_sending_for=lambda: timedelta(minutes=10)):
            assert dispatch.dispatch()["sent"] == 1

    def test_a_kind_without_one_is_sent_however_late(self, _clock, therapist, patient):
        book(therapist, patient, starts_at=NOW + timedelta(days=30))
        _clock.move_to(NOW + timedelta(days=2))
        assert dispatch.dispatch()["sent"] == 1

    def test_the_admin_leaves_an_expired_email_expired(self, client, _clock, therapist, patient):
        from tests.factories import UserFactory

        appointment = book(therapist, patient)
        _clock.move_to(NOW + timedelta(minutes=11))
        with kind_changed(emails.BOOKED, worth_sending_for=lambda: timedelta(minutes=10)):
            dispatch.dispatch()
        client.force_login(UserFactory(therapist=True, is_staff=True, is_superuser=True))
        client.post(
            reverse("admin:notifications_message_changelist"),
            {"action": "retry_now", "_selected_action": [booked_row(appointment).pk]},
        )
        assert booked_row(appointment).status == Status.EXPIRED


def test_a_kind_nobody_registered_fails_loudly_on_enqueue(patient):
    with pytest.raises(ImproperlyConfigured, match="No email kind 'apointment_reminder'"):
        enqueue("apointment_reminder", target_id=1, recipient=patient)
    assert not Message.objects.exists()


def test_booking_moving_and_cancelling_leave_one_row_per_email_sent(
    client, deliver_outbox, therapist, patient
):
    client.force_login(therapist)
    form = {"patient": patient.pk, "day": "2026-06-04", "start": "14:00", "duration": "50",
            "kind": "in_person", "location": "Room 2"}  # fmt: skip
    assert client.post(reverse("appointments:appointment_new"), form).status_code == 302
    deliver_outbox()
    appointment = Appointment.objects.get()
    edit = reverse("appointments:appointment_edit", args=[appointment.pk])
    assert client.post(edit, {**form, "day": "2026-06-05"}).status_code == 302
    deliver_outbox()
    client.post(reverse("appointments:appointment_cancel", args=[appointment.pk]))
    deliver_outbox()

    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, status FROM notifications_message")
        rows = Counter(cursor.fetchall())
    assert rows == {
        ("booked", "sent"): 1,
        ("moved", "sent"): 1,
        ("cancelled", "sent"): 1,
        # Two reminders planned for each time, withdrawn by the move and the cancelling.
        ("appointment_reminder", "cancelled"): 4,
    }
    assert len(mail.outbox) == 3
    assert sorted(int(m.extra_headers[MESSAGE_HEADER]) for m in mail.outbox) == sorted(
        Message.objects.filter(status=Status.SENT).values_list("pk", flat=True)
    )


class TestQueriesPerBatch:
    """A batch reads what it needs in a fixed number of queries however many rows it
    holds: the rows with their recipients and preferences, then one load per kind
    for what the emails are about. Rows it skips are written together; each email
    sent costs one write, its "sent" mark, made before the next email goes (that is
    what keeps a dead worker's duplicate to one message)."""

    def batch(self, sessions: int, opted_out: int) -> list[int]:
        """GIVEN a therapist's patients with a session booked, some of whom turned
        booking emails off, and the outbox rows about them all claimed."""
        therapist = UserFactory(therapist=True)
        for n in range(sessions + opted_out):
            patient = UserFactory()
            CareLinkFactory(therapist=therapist, patient=patient)
            if n >= sessions:
                EmailPreference.objects.create(user=patient, bookings=False)
            book(therapist, patient, starts_at=NOW + timedelta(days=3, hours=n))
        return dispatch.claim_due(1000)

    def send(self, ids) -> tuple[dict, Counter]:
        with CaptureQueriesContext(connection) as captured:
            totals = dispatch.send_claimed(ids)
        return totals, Counter(
            "sent mark" if query["sql"].startswith('UPDATE "notifications_message"') else "other"
            for query in captured.captured_queries
        )

    def test_reading_a_batch_costs_the_same_for_3_and_for_30_emails(self, db):
        few = self.send(self.batch(sessions=3, opted_out=1))
        many = self.send(self.batch(sessions=30, opted_out=10))

        assert few[0] == {"sent": 3, "skipped": 1, "expired": 0, "retry": 0, "failed": 0}
        assert many[0] == {"sent": 30, "skipped": 10, "expired": 0, "retry": 0, "failed": 0}
        assert few[1]["other"] == many[1]["other"] <= 8
        # One write per email sent, and one for all the rows skipped.
        assert (few[1]["sent mark"], many[1]["sent mark"]) == (3 + 1, 30 + 1)

    def test_each_email_is_rendered_once(self, db):
        ids = self.batch(sessions=3, opted_out=0)
        render = mock.Mock(wraps=kinds.get(emails.BOOKED).render)
        with kind_changed(emails.BOOKED, render=render):
            assert dispatch.send_claimed(ids)["sent"] == 3
        assert render.call_count == 3
