"""The patient's own feedback page (feedback:mine) and what they are told after
sending feedback: a ratings chart per therapist, a concern sent to the practice
manager shown as sent (and when, in the patient's time zone) only when an email to a
manager was written to the outbox, and a confirmation that says exactly what
happened."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback import emails
from feedback.emails import ESCALATION
from feedback.models import Escalation
from feedback.questions import RATINGS, SHORT_LABELS
from notifications.models import Message
from tests.factories import (
    AttendedAppointmentFactory,
    EscalationFactory,
    SessionFeedbackFactory,
    UserFactory,
)

MINE = reverse("feedback:mine")
TO_MANAGER = "I have asked twice to slow down and nothing changed"
SENT = "Sent to the practice manager"
NOT_SENT = "Not sent to a practice manager"
# 20:30 in London on a Monday is 09:30 on Tuesday in Auckland.
INSTANT = datetime(2025, 3, 10, 20, 30, tzinfo=UTC)


def page_of(client, person, url=MINE) -> str:
    client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def charts_in(page: str) -> list[str]:
    """Each ratings chart: a group of small multiples (core/charts.py), one per rating."""
    return re.findall(r"<div class=\"chart-panels\".*?</div>", page, re.DOTALL)


def points(chart: str, rating: str) -> int:
    return len(re.findall(rf"<circle [^>]*><title>{re.escape(SHORT_LABELS[rating])}, ", chart))


def feedback_about(patient, therapist, *days_ago, **kwargs):
    return [
        SessionFeedbackFactory(
            patient=patient,
            therapist=therapist,
            session_at=(datetime.now(UTC) - timedelta(days=d)).replace(second=0, microsecond=0),
            **kwargs,
        )
        for d in days_ago
    ]


def send_feedback(client, patient, session, **fields):
    data = {name: 4 for name in RATINGS} | {"visibility": "shared"} | fields
    client.force_login(patient)
    url = reverse("feedback:give_feedback", args=[session.pk])
    return client.post(url, {k: v for k, v in data.items() if v is not None}, follow=True)


def flash(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


class TestOneChartPerTherapist:
    def test_ratings_about_two_therapists_are_never_on_the_same_lines(
        self, client, patient, therapist, other_therapist
    ):
        feedback_about(patient, therapist, 30, 20, 10)
        feedback_about(patient, other_therapist, 6, 2)
        page = page_of(client, patient)

        morgan, dana = charts_in(page)  # the therapist seen most recently first
        assert "Your ratings of sessions with Morgan Lee (0 to 10)" in morgan
        assert "Your ratings of sessions with Dana Reyes (0 to 10)" in dana
        for rating in RATINGS:
            assert points(morgan, rating) == 2
            assert points(dana, rating) == 3
        assert page.index("With Morgan Lee</h2>") < page.index("With Dana Reyes</h2>")

    def test_a_therapist_with_one_session_has_no_chart_yet(
        self, client, patient, therapist, other_therapist
    ):
        feedback_about(patient, therapist, 20, 10)
        feedback_about(patient, other_therapist, 2)
        page = page_of(client, patient)
        [chart] = charts_in(page)
        assert "with Dana Reyes" in chart
        assert "With Morgan Lee</h2>" not in page
        assert "with Morgan Lee" in page  # still listed below, as every feedback is

    def test_a_patient_of_one_therapist_gets_one_chart_with_their_name(
        self, client, patient, therapist
    ):
        feedback_about(patient, therapist, 20, 10, 3)
        [chart] = charts_in(page_of(client, patient))
        assert "with Dana Reyes" in chart
        assert points(chart, "overall") == 3

    def test_the_therapists_page_charts_only_their_own_sessions(
        self, client, patient, therapist, other_therapist
    ):
        feedback_about(patient, therapist, 20, 10)
        feedback_about(patient, other_therapist, 6, 2)
        url = reverse("feedback:patient_feedback", args=[patient.pk])
        [chart] = charts_in(page_of(client, therapist, url))
        assert points(chart, "bond") == 2


class TestTheConfirmationSaysWhatHappened:
    @pytest.fixture
    def session(self, therapist, patient):
        return AttendedAppointmentFactory(therapist=therapist, patient=patient)

    @pytest.mark.parametrize(
        ("visibility", "said"),
        [
            ("shared", "Thank you. Your feedback is saved and shared with Dana Reyes."),
            ("scores", "Thank you. Your feedback is saved. Dana Reyes sees your ratings only."),
            (
                "private",
                "Thank you. Your feedback is saved and private: Dana Reyes does not see it.",
            ),
        ],
    )
    def test_it_says_who_sees_it(self, client, patient, session, visibility, said):
        response = send_feedback(client, patient, session, visibility=visibility)
        assert flash(response) == said
        assert "manager" not in flash(response)

    def test_a_concern_emailed_to_a_manager_is_said_to_be_sent_and_when(
        self, client, patient, therapist, manager
    ):
        patient.timezone = "Pacific/Auckland"
        patient.save()
        with time_machine.travel(INSTANT, tick=False):
            session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
            response = send_feedback(
                client, patient, session, escalate="on", escalation_message=TO_MANAGER
            )
        assert flash(response) == (
            "Thank you. Your feedback is saved and shared with Dana Reyes. "
            "It was sent to the practice manager on Tue 11 Mar at 09:30. "
            "Dana Reyes is not told about it."
        )
        assert Message.objects.filter(kind=ESCALATION, recipient=manager).count() == 1

    def test_with_permission_it_does_not_say_the_therapist_is_kept_out(
        self, client, patient, session, manager
    ):
        response = send_feedback(client, patient, session, escalate="on", therapist_may_know="on")
        assert "It was sent to the practice manager on " in flash(response)
        assert "not told" not in flash(response)

    @pytest.mark.parametrize("former_manager", [False, True])
    def test_with_no_manager_to_email_it_never_says_sent(
        self, client, patient, session, former_manager
    ):
        if former_manager:
            UserFactory(manager=True, is_active=False)
        response = send_feedback(
            client, patient, session, escalate="on", escalation_message=TO_MANAGER
        )
        said = flash(response)
        assert "It was not sent to a practice manager: none is set up here yet." in said
        assert "It was sent" not in said
        [message] = response.context["messages"]
        assert message.level_tag == "warning"
        # What the patient said is kept, and the list tells the same truth.
        assert Escalation.objects.get().message == TO_MANAGER
        assert not Message.objects.filter(kind=ESCALATION).exists()
        page = response.content.decode()
        assert NOT_SENT in page
        assert SENT not in page

    def test_changing_it_later_does_not_say_sent_again(self, client, patient, session, manager):
        send_feedback(client, patient, session, escalate="on")
        response = send_feedback(client, patient, session, bond=6)
        assert flash(response) == "Thank you. Your feedback is saved and shared with Dana Reyes."
        assert Message.objects.filter(kind=ESCALATION).count() == 1


class TestAConcernOnTheList:
    def test_it_shows_as_sent_with_the_time_in_the_patients_zone(
        self, client, patient, therapist, manager
    ):
        patient.timezone = "Pacific/Auckland"
        patient.save()
        with time_machine.travel(INSTANT, tick=False):
            session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
            send_feedback(client, patient, session, escalate="on", escalation_message=TO_MANAGER)
            page = page_of(client, patient)
        assert f"<strong>{SENT}</strong> on Tue 11 Mar 2025, 09:30." in page
        assert "Dana Reyes is not told about it." in page
        assert NOT_SENT not in page
        assert "marked it handled" not in page

    def test_it_shows_when_the_manager_marked_it_handled(self, client, patient, therapist, manager):
        with time_machine.travel(INSTANT, tick=False):
            session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
            send_feedback(client, patient, session, escalate="on", therapist_may_know="on")
        escalation = Escalation.objects.get()
        client.force_login(manager)
        with time_machine.travel(INSTANT + timedelta(days=2), tick=False):
            client.post(reverse("feedback:escalation_handled", args=[escalation.pk]))
            page = page_of(client, patient)
        assert f"<strong>{SENT}</strong> on Mon 10 Mar 2025, 20:30." in page
        assert "They marked it handled on 12 Mar." in page
        assert "not told" not in page

    def test_feedback_not_escalated_says_nothing_about_a_manager(
        self, client, patient, therapist, manager
    ):
        feedback_about(patient, therapist, 3)
        assert "manager" not in page_of(client, patient).lower()

    def test_an_escalation_emailed_only_to_someone_else_is_not_sent(
        self, client, patient, therapist, other_therapist
    ):
        """An outbox row for a non-manager (a role changed since) is not a manager told."""
        [feedback] = feedback_about(patient, therapist, 3)
        escalation = EscalationFactory(feedback=feedback)
        Message.objects.create(
            key="escalation-test", kind=ESCALATION, target_id=escalation.pk,
            recipient=other_therapist, due_at=escalation.created_at,
        )  # fmt: skip
        page = page_of(client, patient)
        assert NOT_SENT in page
        assert f"<strong>{SENT}</strong>" not in page


def history(patient, therapists, count: int, start: int = 0):
    """Feedback about each therapist in turn; every third escalated, every other
    escalation emailed to the practice managers (the rest found none)."""
    for n in range(start, start + count):
        [feedback] = feedback_about(
            patient, therapists[n % len(therapists)], 2 + n, comment=f"Comment {n}"
        )
        if n % 3 == 0:
            escalation = EscalationFactory(feedback=feedback, handled_at=None)
            if n % 2 == 0:
                emails.plan_escalation(escalation)


def test_the_page_costs_the_same_queries_however_long_the_history(
    client, patient, therapist, other_therapist, manager, django_assert_max_num_queries
):
    history(patient, [therapist, other_therapist], 4)
    client.force_login(patient)
    with CaptureQueriesContext(connection) as few:
        client.get(MINE)
    third = UserFactory(therapist=True, first_name="Kim", last_name="Ortiz")
    history(patient, [therapist, other_therapist, third], 56, start=4)
    with django_assert_max_num_queries(len(few)):
        page = client.get(MINE).content.decode()
    assert len(charts_in(page)) == 3
    assert page.count('class="list-group-item"') == 60
    escalated = [n for n in range(60) if n % 3 == 0]
    assert page.count(f"<strong>{SENT}</strong>") == len([n for n in escalated if n % 2 == 0])
    assert page.count(f"<strong>{NOT_SENT}:</strong>") == len([n for n in escalated if n % 2])
