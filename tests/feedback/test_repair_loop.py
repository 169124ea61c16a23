"""The repair loop: low feedback reaches the therapist as "Feedback to read"; they
read it, may reply, and mark it read; the patient sees that it was read, when, and
the reply. The history of it stays."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from feedback import alerts
from feedback.models import AllianceAlert
from tests.factories import SessionFeedbackFactory

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
COMMENT = "It felt like you had already decided what was wrong with me"
REPLY = "Thank you — let's talk about it on Tuesday"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def feedback(patient, therapist):
    feedback = SessionFeedbackFactory(
        patient=patient,
        therapist=therapist,
        session_at=NOW - timedelta(days=1),
        bond=4,
        approach=5,
        comment=COMMENT,
    )
    alerts.evaluate(feedback)
    return feedback


@pytest.fixture
def alert(feedback):
    return feedback.alert


def alert_url(alert):
    return reverse("feedback:alert_detail", args=[alert.pk])


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, name
    return response.content.decode()


class TestTheTherapistReads:
    def test_the_dashboard_lists_it_with_the_first_reason(self, client, therapist, alert):
        client.force_login(therapist)
        dashboard = page(client, "prep:therapist_dashboard")
        assert "Feedback to read" in dashboard
        assert "Sam Patel" in dashboard
        assert "Feeling heard and respected rated 4" in dashboard
        assert alert_url(alert) in dashboard

    def test_the_alert_shows_the_reasons_the_ratings_and_the_comment(
        self, client, therapist, alert
    ):
        client.force_login(therapist)
        response = client.get(alert_url(alert))
        assert response.status_code == 200
        detail = response.content.decode()
        assert "Feedback from Sam Patel" in detail
        for reason in alert.reasons:
            assert reason in detail
        assert "I felt heard, respected and safe to be honest: <strong>4</strong>" in detail
        assert COMMENT in detail
        assert "Mark as read" in detail

    def test_opening_it_is_not_yet_reading_it(self, client, therapist, alert):
        client.force_login(therapist)
        client.get(alert_url(alert))
        alert.refresh_from_db()
        assert alert.acknowledged_at is None
        assert "Feedback to read" in page(client, "prep:therapist_dashboard")

    def test_another_therapists_patients_feedback_is_not_theirs_to_read(
        self, client, other_therapist, alert
    ):
        client.force_login(other_therapist)
        assert "Feedback to read" not in page(client, "prep:therapist_dashboard")
        assert client.get(alert_url(alert)).status_code == 404
        assert client.post(alert_url(alert), {"reply": "Not mine"}).status_code == 404
        alert.refresh_from_db()
        assert (alert.acknowledged_at, alert.reply) == (None, "")


class TestTheTherapistReplies:
    def test_a_reply_marks_it_read_and_it_leaves_the_dashboard(
        self, client, therapist, patient, alert
    ):
        client.force_login(therapist)
        response = client.post(alert_url(alert), {"reply": REPLY}, follow=True)
        # Back home, which for a therapist is the dashboard.
        assert response.redirect_chain == [
            (reverse("home"), 302),
            (reverse("prep:therapist_dashboard"), 302),
        ]
        dashboard = response.content.decode()
        assert "Marked as read. The patient can see that, and your reply." in dashboard
        assert "Feedback to read" not in dashboard
        alert.refresh_from_db()
        assert alert.acknowledged_at == NOW
        assert alert.reply == REPLY

    def test_it_stays_in_the_patients_feedback_history(self, client, therapist, patient, alert):
        client.force_login(therapist)
        client.post(alert_url(alert), {"reply": REPLY})
        history = page(client, "feedback:patient_feedback", patient.pk)
        assert COMMENT in history
        assert f'href="{alert_url(alert)}"' in history
        assert ">read</a>" in history
        detail = client.get(alert_url(alert)).content.decode()
        assert "You marked this as read on 2 Jun." in detail
        assert "Update reply" in detail

    def test_the_patient_sees_it_was_read_and_the_reply(self, client, therapist, patient, alert):
        client.force_login(patient)
        assert "Read by" not in page(client, "feedback:mine")

        client.force_login(therapist)
        client.post(alert_url(alert), {"reply": REPLY})

        client.force_login(patient)
        mine = page(client, "feedback:mine")
        assert "Read by Dana Reyes on 2 Jun." in mine
        assert escape(REPLY) in mine

    def test_a_reply_is_optional(self, client, therapist, patient, alert):
        client.force_login(therapist)
        assert client.post(alert_url(alert), {"reply": ""}).status_code == 302
        client.force_login(patient)
        mine = page(client, "feedback:mine")
        assert "Read by Dana Reyes on 2 Jun." in mine
        assert "<blockquote" not in mine

    def test_changing_the_reply_keeps_when_it_was_first_read(
        self, client, _clock, therapist, alert
    ):
        client.force_login(therapist)
        client.post(alert_url(alert), {"reply": "Thanks"})
        _clock.move_to(NOW + timedelta(days=3))
        client.force_login(therapist)
        client.post(alert_url(alert), {"reply": REPLY})
        alert.refresh_from_db()
        assert alert.acknowledged_at == NOW
        assert alert.reply == REPLY

    def test_a_reply_that_is_too_long_is_refused(self, client, therapist, alert):
        client.force_login(therapist)
        response = client.post(alert_url(alert), {"reply": "x" * 1001})
        assert response.status_code == 400
        assert "Ensure this value has at most 1000 characters" in response.content.decode()
        alert.refresh_from_db()
        assert (alert.acknowledged_at, alert.reply) == (None, "")

    def test_a_read_alert_does_not_come_back_when_the_patient_changes_the_feedback(
        self, client, therapist, patient, feedback, alert
    ):
        client.force_login(therapist)
        client.post(alert_url(alert), {"reply": REPLY})
        feedback.bond = 2
        feedback.save()
        alerts.evaluate(feedback)
        assert AllianceAlert.objects.count() == 1
        assert "Feedback to read" not in page(client, "prep:therapist_dashboard")


class TestWhenCareEnds:
    def test_the_former_therapist_cannot_open_or_reply(self, client, therapist, patient, alert):
        patient.therapist_links.update(ended_at=timezone.now())
        client.force_login(therapist)
        assert client.get(alert_url(alert)).status_code == 404
        assert client.post(alert_url(alert), {"reply": REPLY}).status_code == 404
        assert (
            client.get(reverse("feedback:patient_feedback", args=[patient.pk])).status_code == 404
        )

    def test_the_former_therapists_dashboard_no_longer_lists_it(
        self, client, therapist, patient, alert
    ):
        patient.therapist_links.update(ended_at=timezone.now())
        client.force_login(therapist)
        dashboard = page(client, "prep:therapist_dashboard")
        assert "Feedback to read" not in dashboard
        assert "Sam Patel" not in dashboard
