"""The practice manager's page: counts per therapist and what patients escalated,
never a patient's own records; and the feedback pages cost the same number of
queries however long the history."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journal.models import ParkedTopic
from tests.factories import (
    AllianceAlertFactory,
    CareLinkFactory,
    DailyEntryFactory,
    EscalationFactory,
    SessionFeedbackFactory,
    UserFactory,
)

PRACTICE = reverse("feedback:practice_home")
THOUGHT = "I rehearse every conversation with my landlord in the shower"
TOPIC = "The summer at my uncle's farm"
COMMENT = "The room was too cold to think"


def row(page: str, therapist) -> list[int]:
    """Patients, feedback received, alerts, read within 7 days."""
    match = re.search(
        rf"<tr><td>{re.escape(therapist.display_name)}</td>"
        + r'<td data-label="[^"]+">(\d+)</td>' * 4
        + "</tr>",
        page,
    )
    assert match, f"no row for {therapist}"
    return [int(value) for value in match.groups()]


def practice_page(client, manager) -> str:
    client.force_login(manager)
    response = client.get(PRACTICE)
    assert response.status_code == 200
    return response.content.decode()


def alert_read_after(therapist, patient, delay, *, days_ago=20):
    created = (timezone.now() - timedelta(days=days_ago)).replace(microsecond=0)
    feedback = SessionFeedbackFactory(
        patient=patient, therapist=therapist, session_at=created - timedelta(hours=2), bond=3
    )
    return AllianceAlertFactory(
        feedback=feedback,
        created_at=created,
        acknowledged_at=None if delay is None else created + delay,
    )


class TestCountsPerTherapist:
    def test_feedback_alerts_and_alerts_read_within_a_week(
        self, client, manager, therapist, patient, other_therapist, other_patient
    ):
        SessionFeedbackFactory(patient=patient, therapist=therapist, session_at=_days_ago(9))
        alert_read_after(therapist, patient, timedelta(days=2), days_ago=8)
        alert_read_after(therapist, patient, None, days_ago=3)
        second = UserFactory()
        CareLinkFactory(therapist=therapist, patient=second)
        alert_read_after(therapist, second, timedelta(days=10), days_ago=15)

        page = practice_page(client, manager)
        assert row(page, therapist) == [2, 4, 3, 1]
        assert row(page, other_therapist) == [1, 0, 0, 0]

    def test_an_ended_care_link_is_not_a_patient(self, client, manager, therapist, patient):
        patient.therapist_links.update(ended_at=timezone.now())
        assert row(practice_page(client, manager), therapist)[0] == 0

    @pytest.mark.parametrize(
        ("delay", "counted"),
        [
            (timedelta(0), 1),
            (timedelta(days=6, hours=23, minutes=59), 1),
            (timedelta(days=7), 1),
            (timedelta(days=7, minutes=1), 0),
            (timedelta(days=30), 0),
            (None, 0),
        ],
        ids=["at-once", "just-inside", "exactly-7-days", "just-outside", "a-month", "unread"],
    )
    def test_read_within_7_days(self, client, manager, therapist, patient, delay, counted):
        alert_read_after(therapist, patient, delay)
        assert row(practice_page(client, manager), therapist)[2:] == [1, counted]

    def test_every_active_therapist_is_listed_and_only_therapists(
        self, client, manager, therapist, other_therapist, patient
    ):
        gone = UserFactory(therapist=True, first_name="Former", last_name="Colleague")
        gone.is_active = False
        gone.save()
        page = practice_page(client, manager)
        assert "Dana Reyes" in page
        assert "Morgan Lee" in page
        assert "Former Colleague" not in page
        assert "<tr><td>Sam Patel</td>" not in page
        assert "<tr><td>Jo Carter</td>" not in page


class TestNeverAPatientsOwnRecords:
    def test_no_journal_content_and_no_feedback_that_was_not_escalated(
        self, client, manager, therapist, patient, other_patient
    ):
        DailyEntryFactory(
            patient=patient, mood=1, anxiety=9, thoughts=THOUGHT, discuss_next_session=True
        )
        ParkedTopic.objects.create(patient=patient, title=TOPIC, show_title_in_summary=True)
        alert_read_after(therapist, patient, None)
        SessionFeedbackFactory(patient=patient, therapist=therapist, comment=COMMENT, bond=2)

        page = practice_page(client, manager)
        for secret in (THOUGHT, "landlord", TOPIC, "farm", COMMENT, "Sam Patel", patient.email):
            assert secret not in page, secret
        for word in ("mood", "anxiety", "journal entry", "thought"):
            assert word not in page.lower(), word
        assert "Nothing escalated." in page

    def test_an_escalation_shows_its_message_and_ratings_but_not_the_comment(
        self, client, manager, therapist, patient
    ):
        feedback = SessionFeedbackFactory(
            patient=patient, therapist=therapist, bond=1, goals=2, comment=COMMENT
        )
        DailyEntryFactory(patient=patient, thoughts=THOUGHT)
        EscalationFactory(feedback=feedback, message="Please call me")
        page = practice_page(client, manager)
        assert "Please call me" in page
        assert "Sam Patel" in page
        assert "I felt heard, respected and safe to be honest: <strong>1</strong>" in page
        assert COMMENT not in page
        assert THOUGHT not in page


def _days_ago(days: int) -> datetime:
    return (timezone.now() - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def therapist_with_history(manager, n: int):
    therapist = UserFactory(therapist=True, first_name=f"Therapist{n:02d}", last_name="Smith")
    patient = UserFactory(first_name=f"Patient{n:02d}")
    CareLinkFactory(therapist=therapist, patient=patient)
    feedback = [
        SessionFeedbackFactory(patient=patient, therapist=therapist, session_at=_days_ago(d))
        for d in (3, 10)
    ]
    AllianceAlertFactory(feedback=feedback[0], acknowledged_at=timezone.now())
    EscalationFactory(
        feedback=feedback[1],
        handled_at=timezone.now() if n % 2 else None,
        handled_by=manager if n % 2 else None,
    )


def patient_with_history(patient, therapist, count: int, start: int = 0):
    for n in range(start, start + count):
        feedback = SessionFeedbackFactory(
            patient=patient,
            therapist=therapist,
            session_at=_days_ago(2 + n),
            bond=3 + n % 7,
            comment=f"Comment {n}",
            visibility=("shared", "scores", "private")[n % 3],
        )
        if n % 3 != 2:
            AllianceAlertFactory(
                feedback=feedback,
                acknowledged_at=timezone.now() if n % 2 else None,
                reply="Thank you" if n % 2 else "",
            )


class TestQueriesDoNotGrowWithTheData:
    def test_the_practice_page(self, client, manager, django_assert_max_num_queries):
        for n in range(2):
            therapist_with_history(manager, n)
        client.force_login(manager)
        few = count_queries(client, PRACTICE)
        for n in range(2, 20):
            therapist_with_history(manager, n)
        with django_assert_max_num_queries(few):
            response = client.get(PRACTICE)
        page = response.content.decode()
        assert page.count("Mark as handled") == 10
        assert page.count("Handled by Jo Carter") == 10
        assert page.count("<tr><td>Therapist") == 20

    def test_my_feedback(
        self, client, patient, therapist, other_therapist, django_assert_max_num_queries
    ):
        patient_with_history(patient, therapist, 3)
        client.force_login(patient)
        few = count_queries(client, reverse("feedback:mine"))
        patient_with_history(patient, therapist, 37, start=3)
        SessionFeedbackFactory(patient=patient, therapist=other_therapist)
        with django_assert_max_num_queries(few):
            response = client.get(reverse("feedback:mine"))
        page = response.content.decode()
        assert page.count('class="list-group-item"') == 41
        assert "Comment 39" in page

    def test_a_patients_feedback_for_the_therapist(
        self, client, patient, therapist, django_assert_max_num_queries
    ):
        url = reverse("feedback:patient_feedback", args=[patient.pk])
        patient_with_history(patient, therapist, 3)
        client.force_login(therapist)
        few = count_queries(client, url)
        patient_with_history(patient, therapist, 37, start=3)
        with django_assert_max_num_queries(few):
            response = client.get(url)
        page = response.content.decode()
        shared_or_scores = [n for n in range(40) if n % 3 != 2]
        assert page.count('<tr>\n    <th scope="row">') == len(shared_or_scores)
        assert "Comment 38" not in page  # private
        assert "Comment 39" in page  # shared
        assert "Comment 37" not in page  # scores only
