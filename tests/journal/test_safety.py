from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from journal import safety, tasks
from journal.models import DailyEntry, SafetyAlert
from tests.factories import DailyEntryFactory

HARM = {"mood": "2", "anxiety": "8", "energy": "2", "self_harm_thoughts": "on",
        "thoughts": "I keep thinking about the bridge"}  # fmt: skip


def phq9(item_nine: int) -> dict:
    answers = {f"item_{n}": "1" for n in range(1, 10)}
    answers["item_9"] = str(item_nine)
    return answers


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def test_reporting_self_harm_in_the_log_shows_crisis_resources_at_once(
    signed_in, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
    assert response.url == reverse("journal:support")
    page = signed_in.get(response.url).content.decode()
    assert "Samaritans" in page
    assert "988" in page
    assert "Nobody watches entries in real time." in page
    # The entry itself is kept.
    assert DailyEntry.objects.get().self_harm_thoughts


def test_the_therapist_is_flagged_and_emailed_without_any_content(
    signed_in, client, patient, therapist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
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


def test_an_entry_saved_again_raises_one_alert_only(
    signed_in, patient, django_capture_on_commit_callbacks
):
    url = reverse("journal:entry", args=[patient.today()])
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url, HARM)
        signed_in.post(url, {**HARM, "mood": "3"})
        signed_in.post(url, {**HARM, "self_harm_thoughts": ""})
        signed_in.post(url, HARM)
    assert SafetyAlert.objects.count() == 1
    assert len(mail.outbox) == 1


def test_each_day_reported_is_its_own_event(signed_in, patient):
    for days_ago in (0, 1):
        day = patient.today() - timedelta(days=days_ago)
        signed_in.post(reverse("journal:entry", args=[day]), HARM)
    assert SafetyAlert.objects.count() == 2


def test_phq9_item_nine_above_zero_takes_the_safety_path(
    signed_in, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("journal:measure_new", args=["phq9"]), phq9(1))
    assert response.url == reverse("journal:support")
    alert = SafetyAlert.objects.get()
    assert alert.source == SafetyAlert.Source.PHQ9
    assert len(mail.outbox) == 1


def test_phq9_item_nine_at_zero_does_not(signed_in):
    response = signed_in.post(reverse("journal:measure_new", args=["phq9"]), phq9(0))
    assert response.url != reverse("journal:support")
    assert not SafetyAlert.objects.exists()


def test_a_gad7_never_raises_a_safety_alert(signed_in):
    answers = {f"item_{n}": "3" for n in range(1, 8)}
    signed_in.post(reverse("journal:measure_new", args=["gad7"]), answers)
    assert not SafetyAlert.objects.exists()


def test_the_therapist_acknowledges_and_the_flag_leaves_the_dashboard(client, therapist, patient):
    alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    client.force_login(therapist)
    client.post(reverse("journal:acknowledge_alert", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == therapist
    dashboard = client.get(reverse("prep:therapist_dashboard")).content.decode()
    assert 'id="safety-heading"' not in dashboard


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
    def test_when_the_broker_is_down_the_entry_saves_and_the_sweep_sends_later(
        self, signed_in, patient, django_capture_on_commit_callbacks
    ):
        with (
            mock.patch.object(tasks.notify_safety_alert, "delay", side_effect=OSError("down")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = signed_in.post(reverse("journal:entry", args=[patient.today()]), HARM)
        assert response.url == reverse("journal:support")
        assert mail.outbox == []
        SafetyAlert.objects.update(created_at=timezone.now() - timedelta(minutes=2))
        assert tasks.send_pending_safety_alerts() == 1
        assert len(mail.outbox) == 1
        assert tasks.send_pending_safety_alerts() == 0

    def test_a_refused_email_is_released_for_a_retry(self, patient):
        alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
        with (
            mock.patch(
                "django.core.mail.backends.locmem.EmailBackend.send_messages",
                side_effect=SMTPException("refused"),
            ),
            pytest.raises(SMTPException),
        ):
            safety.send_alert_email(alert.pk)
        alert.refresh_from_db()
        assert alert.notified_at is None
        assert safety.send_alert_email(alert.pk) is True
        assert safety.send_alert_email(alert.pk) is False
        assert len(mail.outbox) == 1

    def test_the_task_exits_quietly_for_a_deleted_alert(self, db):
        tasks.notify_safety_alert.delay(999_999)
        assert mail.outbox == []


def test_existing_entries_are_not_affected_by_the_alert_being_deleted(patient):
    entry = DailyEntryFactory(patient=patient, self_harm_thoughts=True)
    alert = safety.raise_for_entry(entry)
    alert.delete()
    entry.refresh_from_db()
    assert entry.self_harm_thoughts
