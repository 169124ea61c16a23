"""The delivery promise (DESIGN.md, "Reminders: the delivery promise") against real
services: Celery workers in their own processes, Redis, PostgreSQL, and an SMTP
sink that records each message it accepts by its X-Between-Sessions-Reminder header.

No reminder is sent twice because two workers ran; none is lost because a worker
died, Redis was down or the mail server refused it.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journal.models import DailyEntry, SafetyAlert
from prep import dispatch
from prep.models import Appointment, Reminder
from tests.integration.conftest import (
    due_reminders,
    enqueue_dispatch,
    free_port,
    smtp_settings,
    statuses,
    wait_until,
)

Kind, Status = Reminder.Kind, Reminder.Status
DRAIN_TIMEOUT = 60


def delivered_once_each(sink, ids) -> None:
    counts = sink.counts()
    assert set(ids) - set(counts) == set(), "every reminder delivered"
    assert set(counts) - set(ids) == set(), "nothing else delivered"
    assert {i: n for i, n in counts.items() if n > 1} == {}, "no reminder delivered twice"


def all_sent(sink, ids):
    return lambda: sink.has_all(ids) and statuses(ids) == {Status.SENT: len(ids)}


@pytest.mark.django_db(transaction=True)
def test_every_due_reminder_is_delivered_exactly_once(smtp_sink, redis_url, workers, live_celery):
    ids = due_reminders(200)
    live_celery.point_at(redis_url)
    worker = workers.start(redis_url)
    enqueue_dispatch(workers.queue)

    wait_until(
        all_sent(smtp_sink, ids), timeout=DRAIN_TIMEOUT, what="200 reminders", details=workers.logs
    )
    time.sleep(0.5)  # anything sent late would be a duplicate
    delivered_once_each(smtp_sink, ids)
    assert not Reminder.objects.filter(pk__in=ids, sent_at=None).exists()
    assert worker.alive()


@pytest.mark.django_db(transaction=True)
def test_dispatchers_running_at_once_never_share_a_reminder(
    smtp_sink, redis_url, workers, live_celery
):
    """Two worker processes with two pool processes each: four dispatchers, twenty
    dispatch runs queued at once, small batches so their claims interleave."""
    ids = due_reminders(200)
    smtp_sink.delay = 0.005
    live_celery.point_at(redis_url)
    started = [
        workers.start(redis_url, pool="prefork", concurrency=2, REMINDER_BATCH_SIZE=10)
        for _ in range(2)
    ]
    for worker in started:
        worker.wait_ready()
    enqueue_dispatch(workers.queue, times=20)

    wait_until(
        all_sent(smtp_sink, ids), timeout=DRAIN_TIMEOUT, what="200 reminders", details=workers.logs
    )
    time.sleep(1)  # a second dispatcher sending a row already sent would show by now
    delivered_once_each(smtp_sink, ids)
    # The test proves something only if dispatchers really overlapped.
    assert smtp_sink.overlapping_connections(), "no two dispatchers ever sent at the same time"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing(smtp_sink, redis_url, workers, live_celery):
    """SIGKILL, no warm shutdown, while the mail server holds a message but has not
    yet answered "250": its row stays "sending", as does the rest of the claimed
    batch. After REMINDER_CLAIM_TIMEOUT (3 s here) a new worker's dispatcher puts
    them back to pending and sends them.

    The window, as prep/dispatch.py documents it: a rare duplicate is better than a
    lost reminder, and it is one message per dead worker, the one in flight when it
    died. So: every reminder arrives, none more than twice, and at most one (the one
    in flight at the kill) twice.
    """
    ids = due_reminders(200)
    smtp_sink.delay = 0.025
    live_celery.point_at(redis_url)
    # The solo pool: the worker is one process. A claim older than 3 s is stale.
    first = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=3)
    kill_at = 70  # the second batch of 50, part sent
    in_flight = []

    def kill_the_worker(delivery, count):
        if count == kill_at and not in_flight:
            in_flight.append(delivery.reminder_id)
            os.kill(first.pid, signal.SIGKILL)

    smtp_sink.on_delivery = kill_the_worker
    enqueue_dispatch(workers.queue)
    wait_until(
        lambda: not first.alive(),
        timeout=DRAIN_TIMEOUT,
        what=f"{kill_at} deliveries and the kill",
        details=workers.logs,
    )
    smtp_sink.on_delivery = None
    delivered = set(smtp_sink.counts())
    assert 0 < len(delivered) < len(ids), "killed once some but not all were delivered"
    assert statuses(ids)[Status.SENDING] > 0, "the dead worker left claimed rows behind"

    smtp_sink.delay = 0
    second = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=3)

    def drained():
        assert second.alive(), second.log_tail()
        enqueue_dispatch(workers.queue)  # what beat does every minute
        return all_sent(smtp_sink, ids)()

    wait_until(drained, timeout=DRAIN_TIMEOUT, interval=1, what="the backlog", details=workers.logs)
    time.sleep(0.5)
    counts = smtp_sink.counts()
    assert set(counts) == set(ids), "every reminder delivered"
    assert max(counts.values()) <= 2
    duplicated = {reminder_id for reminder_id, n in counts.items() if n > 1}
    assert len(duplicated) <= 1, "at most one duplicate per killed worker"
    assert duplicated <= set(in_flight), "only the message in flight at the kill"


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_app_still_saves_and_the_backlog_drains_later(
    smtp_sink,
    private_redis,
    workers,
    live_celery,
    point_cache_at,
    therapist,
    patient,
):
    """The app's broker and cache are a private redis-server, stopped mid-test (the
    machine's own Redis is never touched). Writing a log and booking a session
    still work; their emails wait in the outbox and go out once Redis is back."""
    backlog = due_reminders(20)
    live_celery.point_at(private_redis.url)
    point_cache_at(private_redis.url)

    private_redis.stop()

    as_patient = Client()
    as_patient.force_login(patient)
    today = patient.today()
    response = as_patient.post(
        reverse("journal:entry", args=[today]),
        {"mood": "7", "anxiety": "3", "energy": "6", "sleep_hours": "7.5", "thoughts": ""},
    )
    assert response.status_code == 302
    # A self-harm report enqueues the therapist's alert: with the broker down the
    # alert waits in its table for the sweep, and the patient still sees support.
    response = as_patient.post(
        reverse("journal:entry", args=[today - timedelta(days=1)]),
        {"mood": "2", "anxiety": "8", "energy": "2", "self_harm_thoughts": "on"},
    )
    assert response.status_code == 302
    assert response.url == reverse("journal:support")
    assert DailyEntry.objects.filter(patient=patient).count() == 2
    assert SafetyAlert.objects.get(patient=patient).notified_at is None

    as_therapist = Client()
    as_therapist.force_login(therapist)
    day = (timezone.now() + timedelta(days=3)).astimezone(therapist.zone).date()
    response = as_therapist.post(
        reverse("prep:appointment_new"),
        {
            "patient": patient.pk,
            "day": day.isoformat(),
            "start": "14:00",
            "duration": "50",
            "kind": "in_person",
            "location": "Room 2",
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    planned = {(r.kind, r.status) for r in appointment.reminders.all()}
    assert planned == {(Kind.BOOKED, Status.PENDING), (Kind.APPOINTMENT_REMINDER, Status.PENDING)}
    assert appointment.reminders.count() == 3
    booked = appointment.reminders.get(kind=Kind.BOOKED).pk

    private_redis.start()  # the same port: the app's settings are unchanged
    workers.start(private_redis.url)
    enqueue_dispatch(workers.queue)
    expected = [*backlog, booked]
    wait_until(
        all_sent(smtp_sink, expected),
        timeout=DRAIN_TIMEOUT,
        what="the backlog after Redis came back",
        details=workers.logs,
    )
    delivered_once_each(smtp_sink, expected)
    # The session's reminders are not due yet.
    assert set(appointment.reminders.exclude(pk=booked).values_list("status", flat=True)) == {
        Status.PENDING
    }


# The mail server refusing: the dispatcher in this process, no worker needed ------


@pytest.mark.parametrize("refused_at", ["RCPT", "DATA"])
def test_refused_mail_is_retried_with_backoff_then_failed(db, settings, smtp_sink, refused_at):
    """Every refusal is one attempt: back to pending with next_attempt_at doubling
    from REMINDER_RETRY_BASE_SECONDS, failed after REMINDER_MAX_ATTEMPTS. Rows are
    sent only when the server accepted them."""
    for name, value in smtp_settings(smtp_sink.port).items():
        setattr(settings, name, value)
    settings.REMINDER_MAX_ATTEMPTS = 3
    settings.REMINDER_RETRY_BASE_SECONDS = 60

    ids = due_reminders(6, patients=2)
    bounce = Reminder.objects.get(pk=ids[0]).recipient.email
    refused = set(
        Reminder.objects.filter(pk__in=ids, recipient__email=bounce).values_list("pk", flat=True)
    )
    accepted = set(ids) - refused
    if refused_at == "RCPT":
        smtp_sink.refuse_rcpt = lambda address: address == bounce
    else:
        smtp_sink.refuse_data = lambda recipients: bounce in recipients

    def sent_rows():
        return set(Reminder.objects.filter(status=Status.SENT).values_list("pk", flat=True))

    def refused_rows():
        return list(Reminder.objects.filter(pk__in=refused))

    nothing = {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert dispatch.dispatch() == {**nothing, "sent": 3, "retry": 3}
        assert sent_rows() == accepted == set(smtp_sink.counts())
        for row in refused_rows():
            assert (row.status, row.attempts) == (Status.PENDING, 1)
            assert row.next_attempt_at == start + timedelta(seconds=60)
            assert "550" in row.last_error
            assert row.claimed_at is None
            assert row.sent_at is None

        # Not before its time.
        assert dispatch.dispatch() == nothing
        clock.move_to(start + timedelta(seconds=59))
        assert dispatch.dispatch() == nothing

        clock.move_to(start + timedelta(seconds=60))
        assert dispatch.dispatch() == {**nothing, "retry": 3}
        for row in refused_rows():
            assert (row.status, row.attempts) == (Status.PENDING, 2)
            assert row.next_attempt_at == start + timedelta(seconds=60 + 120)

        clock.move_to(start + timedelta(seconds=60 + 120))
        assert dispatch.dispatch() == {**nothing, "failed": 3}
        for row in refused_rows():
            assert (row.status, row.attempts) == (Status.FAILED, 3)
            assert row.next_attempt_at is None
            assert row.sent_at is None

        clock.shift(timedelta(days=1))
        assert dispatch.dispatch() == nothing

    assert sent_rows() == accepted
    delivered_once_each(smtp_sink, accepted)
    assert len(smtp_sink.refused) == 3 * len(refused)


def test_an_unreachable_mail_server_loses_nothing(db, settings):
    """Nothing listening: every claimed row goes back to pending for a retry."""
    for name, value in smtp_settings(free_port()).items():
        setattr(settings, name, value)
    settings.REMINDER_RETRY_BASE_SECONDS = 60
    ids = due_reminders(4, patients=1)
    totals = dispatch.dispatch()
    assert totals["retry"] == 4
    assert statuses(ids) == {Status.PENDING: 4}
    # An unreachable server is not the messages' fault: no attempt is used up.
    assert set(Reminder.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {0}
    assert not Reminder.objects.filter(pk__in=ids, next_attempt_at=None).exists()


def test_the_sink_records_the_reminder_header(db, settings, smtp_sink):
    """The harness itself: one dispatch in process, one recorded delivery."""
    for name, value in smtp_settings(smtp_sink.port).items():
        setattr(settings, name, value)
    [reminder_id] = due_reminders(1, patients=1)
    assert dispatch.dispatch()["sent"] == 1
    assert smtp_sink.counts() == {reminder_id: 1}
