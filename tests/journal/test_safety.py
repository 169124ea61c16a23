from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from appointments.booking import end_care
from journal import safety
from journal.emails import SAFETY_ALERT
from journal.models import DailyEntry, SafetyAlert
from notifications.models import Message
from notifications.outbox import enqueue
from tests.factories import CareLinkFactory, DailyEntryFactory, MeasureResponseFactory

HARM = {"mood": "2", "anxiety": "8", "energy": "2", "self_harm_thoughts": "on",
        "thoughts": "I keep thinking about the bridge"}  # fmt: skip


def phq9(item_nine: int) -> dict:
    answers = {f"item_{n}": "1" for n in range(1, 10)}
    answers["item_9"] = str(item_nine)
    return answers


def alert_emails():
    return Message.objects.filter(kind=SAFETY_ALERT)


def support_for(alert) -> str:
    """The support page, told which alert it follows (so it can say who was told)."""
    return f"{reverse('journal:support')}?alert={alert.pk}"


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


@pytest.fixture
def cared_for_by_two(patient, other_therapist):
    """The patient sees a second therapist as well."""
    CareLinkFactory(therapist=other_therapist, patient=patient)
    return patient


def test_reporting_self_harm_in_the_log_shows_crisis_resources_at_once(
    signed_in, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
    assert response.url == support_for(SafetyAlert.objects.get())
    page = signed_in.get(response.url).content.decode()
    assert "Samaritans" in page
    assert "988" in page
    assert "Nobody watches entries in real time." in page
    # The entry itself is kept.
    assert DailyEntry.objects.get().self_harm_thoughts


def test_the_therapist_is_flagged_and_emailed_without_any_content(
    signed_in, client, patient, therapist, deliver_outbox
):
    signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
    assert deliver_outbox() == 1
    [message] = mail.outbox
    assert message.to == [therapist.email]
    assert "Please check in with your patient" in message.subject
    everything = message.subject + message.body + message.alternatives[0][0]
    for private in ("bridge", "Sam", "Patel", patient.email, "harm", "mood"):
        assert private not in everything
    client.force_login(therapist)
    dashboard = client.get(reverse("prep:therapist_dashboard")).content.decode()
    assert 'id="safety-heading"' in dashboard
    assert "Sam Patel" in dashboard
    assert "bridge" not in dashboard


def test_raising_an_alert_writes_one_outbox_row_per_therapist_caring_for_the_patient(
    signed_in, cared_for_by_two, therapist, other_therapist
):
    signed_in.post(reverse("journal:entry", args=[cared_for_by_two.today()]), HARM)
    alert = SafetyAlert.objects.get()
    rows = alert_emails().filter(target_id=alert.pk, status=Message.Status.PENDING)
    assert {row.recipient for row in rows} == {therapist, other_therapist}
    assert rows.count() == 2


def test_each_therapist_gets_their_own_content_free_email(
    signed_in, cared_for_by_two, therapist, other_therapist, deliver_outbox
):
    signed_in.post(reverse("journal:entry", args=[cared_for_by_two.today()]), HARM)
    assert deliver_outbox() == 2
    assert sorted(message.to for message in mail.outbox) == sorted(
        [[therapist.email], [other_therapist.email]]
    )
    for message in mail.outbox:
        everything = message.subject + message.body + message.alternatives[0][0]
        assert "Please check in with your patient" in everything
        for private in ("bridge", "Sam", "Patel", cared_for_by_two.email, "harm", "mood"):
            assert private not in everything
    assert not alert_emails().exclude(status=Message.Status.SENT).exists()


def test_the_email_leaves_as_soon_as_the_entry_is_saved(
    signed_in, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
    [message] = mail.outbox
    assert message.to == [therapist.email]


def test_a_save_that_rolls_back_leaves_neither_alert_nor_email(signed_in, cared_for_by_two):
    """The alert and its outbox rows are written in the entry's own transaction: a
    failure part-way through (here, writing the second therapist's email) undoes it all."""
    written = []

    def enqueue_then_fail(*args, **kwargs):
        if written:
            raise DatabaseError("the database went away")
        written.append(enqueue(*args, **kwargs))

    with (
        mock.patch("journal.safety.enqueue", side_effect=enqueue_then_fail),
        pytest.raises(DatabaseError),
    ):
        signed_in.post(reverse("journal:entry", args=[cared_for_by_two.today()]), HARM)
    assert len(written) == 1
    assert not DailyEntry.objects.exists()
    assert not SafetyAlert.objects.exists()
    assert not Message.objects.exists()


def test_an_entry_saved_again_raises_one_alert_only(
    signed_in, patient, deliver_outbox, django_capture_on_commit_callbacks
):
    url = reverse("journal:entry", args=[patient.today()])
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url, HARM)
        signed_in.post(url, {**HARM, "mood": "3"})
        signed_in.post(url, {**HARM, "self_harm_thoughts": ""})
        signed_in.post(url, HARM)
    assert SafetyAlert.objects.count() == 1
    assert alert_emails().count() == 1
    deliver_outbox()
    assert len(mail.outbox) == 1


def test_each_day_reported_is_its_own_event(signed_in, patient):
    for days_ago in (0, 1):
        day = patient.today() - timedelta(days=days_ago)
        signed_in.post(reverse("journal:entry", args=[day]), HARM)
    assert SafetyAlert.objects.count() == 2
    assert alert_emails().count() == 2


def test_phq9_item_nine_above_zero_takes_the_safety_path(signed_in, patient, deliver_outbox):
    response = signed_in.post(reverse("journal:measure_new", args=["phq9"]), phq9(1))
    assert response.url == support_for(SafetyAlert.objects.get())
    alert = SafetyAlert.objects.get()
    assert alert.source == SafetyAlert.Source.PHQ9
    assert deliver_outbox() == 1
    assert len(mail.outbox) == 1


def test_raising_again_for_the_same_phq9_response_writes_nothing_more(patient, therapist):
    response = MeasureResponseFactory(patient=patient)
    first = safety.raise_for_measure(response)
    again = safety.raise_for_measure(response)
    assert again == first
    assert SafetyAlert.objects.count() == 1
    assert alert_emails().count() == 1


def test_phq9_item_nine_at_zero_does_not(signed_in):
    response = signed_in.post(reverse("journal:measure_new", args=["phq9"]), phq9(0))
    assert not response.url.startswith(reverse("journal:support"))
    assert not SafetyAlert.objects.exists()
    assert not alert_emails().exists()


def test_a_gad7_never_raises_a_safety_alert(signed_in):
    answers = {f"item_{n}": "3" for n in range(1, 8)}
    signed_in.post(reverse("journal:measure_new", args=["gad7"]), answers)
    assert not SafetyAlert.objects.exists()
    assert not alert_emails().exists()


def test_the_therapist_acknowledges_and_the_flag_leaves_the_dashboard(client, therapist, patient):
    alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    client.force_login(therapist)
    client.post(reverse("journal:acknowledge_alert", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == therapist
    dashboard = client.get(reverse("prep:therapist_dashboard")).content.decode()
    assert 'id="safety-heading"' not in dashboard


def test_the_first_acknowledgement_is_the_one_kept(patient, therapist, other_therapist):
    alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    assert safety.acknowledge(alert, by=therapist) is True
    alert.refresh_from_db()
    first_seen = alert.acknowledged_at
    assert safety.acknowledge(alert, by=other_therapist) is False
    alert.refresh_from_db()
    assert alert.acknowledged_by == therapist
    assert alert.acknowledged_at == first_seen


def test_another_therapist_neither_sees_nor_acknowledges_it(client, other_therapist, patient):
    alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    client.force_login(other_therapist)
    dashboard = client.get(reverse("prep:therapist_dashboard")).content.decode()
    assert 'id="safety-heading"' not in dashboard
    response = client.post(reverse("journal:acknowledge_alert", args=[alert.pk]))
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


class TestTheEmailIsNeverLost:
    def test_when_the_broker_is_down_the_entry_saves_and_the_email_waits(
        self, signed_in, patient, therapist, deliver_outbox, django_capture_on_commit_callbacks
    ):
        with (
            mock.patch("notifications.tasks.dispatch_outbox.delay", side_effect=OSError("down")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
        assert response.url == support_for(SafetyAlert.objects.get())
        assert mail.outbox == []
        assert alert_emails().get().status == Message.Status.PENDING
        # The dispatcher's next run (beat, every minute) sends it.
        assert deliver_outbox() == 1
        [message] = mail.outbox
        assert message.to == [therapist.email]
        assert deliver_outbox() == 0
        assert len(mail.outbox) == 1

    def test_a_refused_email_stays_pending_for_a_retry(
        self, signed_in, patient, therapist, deliver_outbox
    ):
        signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
        with mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=SMTPException("refused"),
        ):
            assert deliver_outbox() == 0
        row = alert_emails().get()
        assert row.status == Message.Status.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > timezone.now()
        assert "refused" in row.last_error
        assert mail.outbox == []
        # Its retry time comes and it goes out, once.
        alert_emails().update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        assert deliver_outbox() == 1
        assert deliver_outbox() == 0
        [message] = mail.outbox
        assert message.to == [therapist.email]

    def test_a_therapist_whose_care_ended_before_sending_is_not_emailed(
        self, signed_in, cared_for_by_two, therapist, other_therapist, deliver_outbox
    ):
        signed_in.post(reverse("journal:entry", args=[cared_for_by_two.today()]), HARM)
        end_care(therapist, cared_for_by_two, by=therapist)
        assert deliver_outbox() == 1
        [message] = mail.outbox
        assert message.to == [other_therapist.email]
        skipped = alert_emails().get(recipient=therapist)
        assert skipped.status == Message.Status.SKIPPED

    def test_the_email_for_a_deleted_alert_is_skipped_quietly(self, patient, deliver_outbox):
        alert = safety.raise_for_entry(DailyEntryFactory(patient=patient, self_harm_thoughts=True))
        alert.delete()
        assert deliver_outbox() == 0
        assert mail.outbox == []
        assert alert_emails().get().status == Message.Status.SKIPPED


def test_existing_entries_are_not_affected_by_the_alert_being_deleted(patient):
    entry = DailyEntryFactory(patient=patient, self_harm_thoughts=True)
    alert = safety.raise_for_entry(entry)
    alert.delete()
    entry.refresh_from_db()
    assert entry.self_harm_thoughts
