"""The delivery promise (DESIGN.md, "Email: one delivery promise") against real
services: Celery workers in their own processes, Redis, PostgreSQL, and an SMTP
sink that records each message it accepts by its X-Between-Sessions-Message header
(the id of its outbox row).

No email is sent twice because two workers ran; none is lost because a worker died,
Redis was down or the mail server refused it. A safety alert goes out on the
dispatch its own commit asks for, and survives its worker dying.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.emails import ABOUT_A_SESSION, BOOKED, REMINDER
from appointments.models import Appointment
from journal import safety
from journal.emails import SAFETY_ALERT
from journal.models import DailyEntry, SafetyAlert
from notifications import dispatch
from notifications.models import Message
from tests.factories import CareLinkFactory, DailyEntryFactory
from tests.notifications.integration.conftest import (
    due_messages,
    enqueue_dispatch,
    free_port,
    smtp_settings,
    statuses,
    wait_until,
)

Status = Message.Status
DRAIN_TIMEOUT = 60
# REMINDER_CLAIM_TIMEOUT for the workers that die: a claim older than this is stale.
CLAIM_TIMEOUT = 3


def delivered_once_each(sink, ids) -> None:
    counts = sink.counts()
    assert set(ids) - set(counts) == set(), "every email delivered"
    assert set(counts) - set(ids) == set(), "nothing else delivered"
    assert {i: n for i, n in counts.items() if n > 1} == {}, "no email delivered twice"


def all_sent(sink, ids):
    return lambda: sink.has_all(ids) and statuses(ids) == {Status.SENT: len(ids)}


@pytest.mark.django_db(transaction=True)
def test_every_due_email_is_delivered_exactly_once(smtp_sink, redis_url, workers, live_celery):
    ids = due_messages(200)
    live_celery.point_at(redis_url)
    worker = workers.start(redis_url)
    enqueue_dispatch(workers.queue)

    wait_until(
        all_sent(smtp_sink, ids), timeout=DRAIN_TIMEOUT, what="200 emails", details=workers.logs
    )
    time.sleep(0.5)  # anything sent late would be a duplicate
    delivered_once_each(smtp_sink, ids)
    assert not Message.objects.filter(pk__in=ids, sent_at=None).exists()
    assert worker.alive()


@pytest.mark.django_db(transaction=True)
def test_dispatchers_running_at_once_never_share_an_email(
    smtp_sink, redis_url, workers, live_celery
):
    """Two worker processes with two pool processes each: four dispatchers, twenty
    dispatch runs queued at once, small batches so their claims interleave."""
    ids = due_messages(200)
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
        all_sent(smtp_sink, ids), timeout=DRAIN_TIMEOUT, what="200 emails", details=workers.logs
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

    The window, as notifications/dispatch.py documents it: a rare duplicate is better
    than a lost email, and it is one message per dead worker, the one in flight when
    it died. So: every email arrives, none more than twice, and at most one (the one
    in flight at the kill) twice.
    """
    ids = due_messages(200)
    smtp_sink.delay = 0.025
    live_celery.point_at(redis_url)
    # The solo pool: the worker is one process. A claim older than 3 s is stale.
    first = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=CLAIM_TIMEOUT)
    kill_at = 70  # the second batch of 50, part sent
    in_flight = []

    def kill_the_worker(delivery, count):
        if count == kill_at and not in_flight:
            in_flight.append(delivery.message_id)
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
    second = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=CLAIM_TIMEOUT)

    def drained():
        assert second.alive(), second.log_tail()
        enqueue_dispatch(workers.queue)  # what beat does every minute
        return all_sent(smtp_sink, ids)()

    wait_until(drained, timeout=DRAIN_TIMEOUT, interval=1, what="the backlog", details=workers.logs)
    time.sleep(0.5)
    counts = smtp_sink.counts()
    assert set(counts) == set(ids), "every email delivered"
    assert max(counts.values()) <= 2
    duplicated = {message_id for message_id, n in counts.items() if n > 1}
    assert len(duplicated) <= 1, "at most one duplicate per killed worker"
    assert duplicated <= set(in_flight), "only the message in flight at the kill"


def safety_alert_for(patient) -> SafetyAlert:
    """The patient reports thoughts of self-harm: the entry, its alert and one outbox
    row per therapist are committed together, and the commit asks for a dispatch."""
    with transaction.atomic():
        entry = DailyEntryFactory(patient=patient, self_harm_thoughts=True)
        return safety.raise_for_entry(entry)


def safety_email(alert: SafetyAlert, therapist) -> Message:
    return Message.objects.get(kind=SAFETY_ALERT, target_id=alert.pk, recipient=therapist)


@pytest.mark.django_db(transaction=True)
def test_a_safety_alert_goes_out_on_the_dispatch_its_own_commit_asks_for(
    smtp_sink, redis_url, workers, live_celery, therapist, other_therapist, patient
):
    """No waiting for beat: the alert's commit publishes one dispatch, and that one
    run emails each therapist caring for the patient, once."""
    CareLinkFactory(therapist=other_therapist, patient=patient)
    live_celery.point_at(redis_url)
    live_celery.route_unrouted_to(workers.queue)
    worker = workers.start(redis_url)
    worker.wait_ready()

    alert = safety_alert_for(patient)  # the test itself enqueues no dispatch
    emails = {safety_email(alert, t).pk: t.email for t in (therapist, other_therapist)}

    wait_until(
        all_sent(smtp_sink, list(emails)),
        timeout=DRAIN_TIMEOUT,
        what="the safety alert emails",
        details=workers.logs,
    )
    time.sleep(0.5)
    delivered_once_each(smtp_sink, list(emails))
    assert sorted(smtp_sink.received()) == sorted((pk, (to,)) for pk, to in emails.items())
    wait_until(worker.dispatch_runs, timeout=10, what="the run's end", details=workers.logs)
    assert worker.dispatch_runs() == [str(dict(sent=2, skipped=0, expired=0, retry=0, failed=0))]


@pytest.mark.django_db(transaction=True)
def test_a_safety_alert_survives_its_worker_dying_between_claim_and_send(
    smtp_sink, redis_url, workers, live_celery, therapist, patient
):
    """The dispatch the alert's commit asks for claims the row, then the worker is
    SIGKILLed before the mail server has the message (the sink holds its RCPT
    unanswered): the row stays "sending". A worker started after
    REMINDER_CLAIM_TIMEOUT delivers it in one dispatcher run: the therapist gets the
    alert exactly once."""
    live_celery.point_at(redis_url)
    live_celery.route_unrouted_to(workers.queue)
    first = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=CLAIM_TIMEOUT)
    first.wait_ready()
    smtp_sink.hold_rcpt = lambda address: address == therapist.email

    alert = safety_alert_for(patient)
    email = safety_email(alert, therapist)

    def claimed_and_held():
        return therapist.email in smtp_sink.held and statuses([email.pk]) == {Status.SENDING: 1}

    wait_until(
        claimed_and_held,
        timeout=DRAIN_TIMEOUT,
        what="the worker to claim the alert and start sending it",
        details=workers.logs,
    )
    first.kill()
    smtp_sink.hold_rcpt = None
    email.refresh_from_db()
    assert (email.status, email.sent_at) == (Status.SENDING, None), "the dead worker's claim"
    assert email.claimed_at is not None
    assert smtp_sink.counts()[email.pk] == 0, "the mail server never had it"
    assert first.dispatch_runs() == [], "the only run died"

    # The claim goes stale; then a new worker, and one dispatcher run (beat's next).
    stale = email.claimed_at + timedelta(seconds=CLAIM_TIMEOUT)
    wait_until(lambda: timezone.now() > stale, timeout=CLAIM_TIMEOUT + 5, what="a stale claim")
    second = workers.start(redis_url, REMINDER_CLAIM_TIMEOUT=CLAIM_TIMEOUT)
    enqueue_dispatch(workers.queue)

    wait_until(
        all_sent(smtp_sink, [email.pk]),
        timeout=DRAIN_TIMEOUT,
        what="the safety alert from the new worker",
        details=workers.logs,
    )
    time.sleep(0.5)  # a second copy would show by now
    assert smtp_sink.received() == [(email.pk, (therapist.email,))], "exactly one safety email"
    wait_until(second.dispatch_runs, timeout=10, what="the run's end", details=workers.logs)
    assert second.dispatch_runs() == [str(dict(sent=1, skipped=0, expired=0, retry=0, failed=0))]
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at is not None
    assert (email.attempts, email.last_error) == (0, ""), "a dead worker is not a failed send"


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
    machine's own Redis is never touched). Writing a log, raising a safety alert and
    booking a session still work; their emails wait in the outbox and go out once
    Redis is back. Afterwards the outbox table holds one sent row per email the mail
    server received."""
    backlog = due_messages(20)
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
    # A self-harm report writes the therapist's alert email: with the broker down it
    # waits in the outbox for the dispatcher, and the patient still sees support.
    response = as_patient.post(
        reverse("journal:entry", args=[today - timedelta(days=1)]),
        {"mood": "2", "anxiety": "8", "energy": "2", "self_harm_thoughts": "on"},
    )
    assert response.status_code == 302
    assert DailyEntry.objects.filter(patient=patient).count() == 2
    alert = SafetyAlert.objects.get(patient=patient)
    assert response.url == f"{reverse('journal:support')}?alert={alert.pk}"
    alert_email = safety_email(alert, therapist)
    assert alert_email.status == Status.PENDING

    as_therapist = Client()
    as_therapist.force_login(therapist)
    day = (timezone.now() + timedelta(days=3)).astimezone(therapist.zone).date()
    response = as_therapist.post(
        reverse("appointments:appointment_new"),
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
    about_it = Message.objects.filter(kind__in=ABOUT_A_SESSION, target_id=appointment.pk)
    planned = {(m.kind, m.status) for m in about_it}
    assert planned == {(BOOKED, Status.PENDING), (REMINDER, Status.PENDING)}
    assert about_it.count() == 3
    booked = about_it.get(kind=BOOKED).pk

    private_redis.start()  # the same port: the app's settings are unchanged
    workers.start(private_redis.url)
    enqueue_dispatch(workers.queue)
    expected = [*backlog, booked, alert_email.pk]
    wait_until(
        all_sent(smtp_sink, expected),
        timeout=DRAIN_TIMEOUT,
        what="the backlog after Redis came back",
        details=workers.logs,
    )
    delivered_once_each(smtp_sink, expected)
    # The session's reminders are not due yet.
    assert set(about_it.exclude(pk=booked).values_list("status", flat=True)) == {Status.PENDING}

    # The table itself, read with plain SQL: one sent row per email received, each to
    # the address the mail server got it for, the safety alert among them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.kind, u.email FROM notifications_message AS m"
            " JOIN accounts_user AS u ON u.id = m.recipient_id"
            " WHERE m.status = %s",
            [Status.SENT],
        )
        sent_rows = cursor.fetchall()
    assert sorted((pk, (to,)) for pk, _, to in sent_rows) == sorted(smtp_sink.received())
    assert (alert_email.pk, SAFETY_ALERT, therapist.email) in sent_rows


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

    ids = due_messages(6, patients=2)
    bounce = Message.objects.get(pk=ids[0]).recipient.email
    refused = set(
        Message.objects.filter(pk__in=ids, recipient__email=bounce).values_list("pk", flat=True)
    )
    accepted = set(ids) - refused
    if refused_at == "RCPT":
        smtp_sink.refuse_rcpt = lambda address: address == bounce
    else:
        smtp_sink.refuse_data = lambda recipients: bounce in recipients

    def sent_rows():
        return set(Message.objects.filter(status=Status.SENT).values_list("pk", flat=True))

    def refused_rows():
        return list(Message.objects.filter(pk__in=refused))

    nothing = {"sent": 0, "skipped": 0, "expired": 0, "retry": 0, "failed": 0}
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
    ids = due_messages(4, patients=1)
    totals = dispatch.dispatch()
    assert totals["retry"] == 4
    assert statuses(ids) == {Status.PENDING: 4}
    # An unreachable server is not the messages' fault: no attempt is used up.
    assert set(Message.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {0}
    assert not Message.objects.filter(pk__in=ids, next_attempt_at=None).exists()


def test_the_sink_records_the_message_header(db, settings, smtp_sink):
    """The harness itself: one dispatch in process, one recorded delivery."""
    for name, value in smtp_settings(smtp_sink.port).items():
        setattr(settings, name, value)
    [message_id] = due_messages(1, patients=1)
    assert dispatch.dispatch()["sent"] == 1
    assert smtp_sink.counts() == {message_id: 1}
