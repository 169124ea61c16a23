"""A rating the patient did not give is not answered, never a number: the form starts
with nothing chosen, an untouched form cannot be sent, who sees it must be chosen, and
everything that averages or alerts counts only the answers given and says how many."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback import alerts
from feedback.emails import ALLIANCE_ALERT
from feedback.models import NOTHING_ANSWERED, AllianceAlert, SessionFeedback
from feedback.questions import QUESTIONS, RATINGS, SHORT_LABELS
from notifications.models import Message
from prep import summaries
from prep.models import AgendaItem
from tests.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionFeedbackFactory,
)

ALERT_SUBJECT = "There is session feedback to read"
CHOOSE_WHO = "Choose who sees this feedback."
# What a browser sends for the form as it first appears: the two text boxes, empty,
# and nothing for the radios and ticks no one touched.
UNTOUCHED = {"comment": "", "escalation_message": ""}


@pytest.fixture
def session(therapist, patient):
    return AttendedAppointmentFactory(therapist=therapist, patient=patient)


def url(appointment):
    return reverse("feedback:give_feedback", args=[appointment.pk])


def send(client, appointment, **answers):
    return client.post(url(appointment), UNTOUCHED | answers)


def ratings_of(feedback):
    return tuple(getattr(feedback, name) for name in RATINGS)


def rated(patient, therapist, *ratings, days_ago=1, **kwargs):
    session_at = (timezone.now() - timedelta(days=days_ago)).replace(second=0, microsecond=0)
    return SessionFeedbackFactory(
        patient=patient,
        therapist=therapist,
        session_at=session_at,
        **dict(zip(RATINGS, ratings, strict=True)),
        **kwargs,
    )


def checked_radios(page: str) -> list[str]:
    return re.findall(r'<input type="radio"[^>]*\bchecked\b[^>]*>', page)


class TestTheFormStartsEmpty:
    def test_no_rating_and_no_audience_is_chosen(self, client, patient, session):
        client.force_login(patient)
        response = client.get(url(session))
        assert response.status_code == 200
        page = response.content.decode()
        for name in RATINGS:
            assert f'name="{name}" id="id_{name}_8"' in page  # the scale is there
            assert f'id="id_{name}_clear"' in page  # with its "Not answered"
        assert 'name="visibility"' in page
        assert checked_radios(page) == []
        assert " checked" not in page
        assert 'value="8" checked' not in page
        assert "Answer the questions you want to." in page

    def test_an_earlier_answer_is_shown_as_given_and_the_rest_as_unanswered(
        self, client, patient, session
    ):
        SessionFeedbackFactory.for_session(
            session, bond=None, goals=None, approach=3, overall=None, visibility="scores"
        )
        client.force_login(patient)
        page = client.get(url(session)).content.decode()
        checked = checked_radios(page)
        assert len(checked) == 2
        assert any('name="approach"' in radio and 'value="3"' in radio for radio in checked)
        assert any('name="visibility"' in radio and 'value="scores"' in radio for radio in checked)


class TestAnUntouchedFormCannotBeSent:
    def test_it_is_refused_with_a_message_and_nothing_is_stored_or_sent(
        self, client, deliver_outbox, patient, therapist, session
    ):
        client.force_login(patient)
        response = send(client, session)
        assert response.status_code == 400
        page = response.content.decode()
        assert NOTHING_ANSWERED in page
        assert CHOOSE_WHO in page
        assert 'role="alert"' in page
        assert not SessionFeedback.objects.exists()
        assert not AllianceAlert.objects.exists()
        assert not Message.objects.filter(kind=ALLIANCE_ALERT).exists()
        assert not AgendaItem.objects.exists()
        deliver_outbox()
        assert [m for m in mail.outbox if ALERT_SUBJECT in m.subject] == []
        assert mail.outbox == []

    @pytest.mark.parametrize("visibility", ["shared", "scores", "private"])
    def test_choosing_only_who_sees_it_is_not_enough(
        self, client, deliver_outbox, patient, session, visibility
    ):
        client.force_login(patient)
        response = send(client, session, visibility=visibility, discuss_next_time="on")
        assert response.status_code == 400
        page = response.content.decode()
        assert NOTHING_ANSWERED in page
        assert CHOOSE_WHO not in page
        assert not SessionFeedback.objects.exists()
        assert not AgendaItem.objects.exists()
        deliver_outbox()
        assert mail.outbox == []

    def test_every_question_marked_not_answered_is_refused_too(self, client, patient, session):
        client.force_login(patient)
        response = send(client, session, visibility="shared", **dict.fromkeys(RATINGS, ""))
        assert response.status_code == 400
        assert NOTHING_ANSWERED in response.content.decode()
        assert not SessionFeedback.objects.exists()

    def test_an_escalation_needs_an_answer_too(self, client, deliver_outbox, patient, session):
        client.force_login(patient)
        response = send(
            client, session, visibility="private", escalate="on", escalation_message="Help"
        )
        assert response.status_code == 400
        assert NOTHING_ANSWERED in response.content.decode()
        assert not SessionFeedback.objects.exists()
        deliver_outbox()
        assert mail.outbox == []

    def test_clearing_every_answer_later_is_refused_and_keeps_the_earlier_one(
        self, client, patient, session
    ):
        client.force_login(patient)
        assert send(client, session, bond=4, visibility="shared").status_code == 302
        response = send(client, session, visibility="shared", **dict.fromkeys(RATINGS, ""))
        assert response.status_code == 400
        assert ratings_of(SessionFeedback.objects.get()) == (4, None, None, None)


class TestWhoSeesItMustBeChosen:
    def test_answers_without_a_choice_are_refused_and_kept_on_the_form(
        self, client, deliver_outbox, patient, session
    ):
        client.force_login(patient)
        response = send(client, session, bond=2, overall=3, comment="Too fast")
        assert response.status_code == 400
        page = response.content.decode()
        assert CHOOSE_WHO in page
        assert NOTHING_ANSWERED not in page
        # What they did choose is still chosen, ready to send again.
        checked = checked_radios(page)
        assert any('name="bond"' in radio and 'value="2"' in radio for radio in checked)
        assert any('name="overall"' in radio and 'value="3"' in radio for radio in checked)
        assert "Too fast" in page
        assert not SessionFeedback.objects.exists()
        assert not AllianceAlert.objects.exists()
        deliver_outbox()
        assert mail.outbox == []

    def test_an_empty_choice_is_refused(self, client, patient, session):
        client.force_login(patient)
        response = send(client, session, bond=9, visibility="")
        assert response.status_code == 400
        assert CHOOSE_WHO in response.content.decode()
        assert not SessionFeedback.objects.exists()


class TestPartlyAnswered:
    def test_answering_only_overall_stores_nulls_for_the_rest(
        self, client, deliver_outbox, patient, therapist, session
    ):
        client.force_login(patient)
        assert send(client, session, overall=5, visibility="shared").status_code == 302
        saved = SessionFeedback.objects.get()
        assert ratings_of(saved) == (None, None, None, 5)
        assert (saved.mean, saved.answered_count) == (5.0, 1)

        alert = AllianceAlert.objects.get()
        assert alert.reasons == ["Overall rated 5", "Average 5.0 out of 10 (1 of 4 answered)"]
        deliver_outbox()
        [email] = [m for m in mail.outbox if ALERT_SUBJECT in m.subject]
        assert email.to == [therapist.email]

    def test_a_high_answer_with_the_rest_unanswered_raises_nothing(
        self, client, deliver_outbox, patient, session
    ):
        client.force_login(patient)
        assert send(client, session, overall=10, visibility="shared").status_code == 302
        assert ratings_of(SessionFeedback.objects.get()) == (None, None, None, 10)
        assert not AllianceAlert.objects.exists()
        deliver_outbox()
        assert [m for m in mail.outbox if ALERT_SUBJECT in m.subject] == []

    def test_one_low_touch_on_an_otherwise_untouched_form_alerts_on_that_alone(
        self, client, deliver_outbox, patient, therapist, session
    ):
        """The form sent in the issue: it looks untouched but one scale was moved. The
        therapist hears of that one answer and how few it rests on, nothing more."""
        client.force_login(patient)
        assert send(client, session, bond=3, visibility="scores").status_code == 302
        alert = AllianceAlert.objects.get()
        assert alert.reasons == [
            "Feeling heard and respected rated 3",
            "Average 3.0 out of 10 (1 of 4 answered)",
        ]
        for name in ("goals", "approach", "overall"):
            assert not any(SHORT_LABELS[name] in reason for reason in alert.reasons)

        client.force_login(therapist)
        dashboard = client.get(reverse("prep:therapist_dashboard")).content.decode()
        assert "Feeling heard and respected rated 3" in dashboard
        assert "out of 10 (4 of 4" not in dashboard
        detail = client.get(reverse("feedback:alert_detail", args=[alert.pk])).content.decode()
        assert "Average 3.0 out of 10 (1 of 4 answered)" in detail
        assert detail.count("not answered") == 3
        history = client.get(
            reverse("feedback:patient_feedback", args=[patient.pk])
        ).content.decode()
        assert '<td data-label="Heard">3</td>' in history
        assert history.count('<span class="text-muted">not answered</span>') == 3
        assert "(1 of 4 answered)" in history
        deliver_outbox()
        assert len([m for m in mail.outbox if ALERT_SUBJECT in m.subject]) == 1

    def test_a_saved_answer_can_be_taken_back_with_not_answered(self, client, patient, session):
        client.force_login(patient)
        send(client, session, bond=4, goals=9, visibility="shared")
        assert AllianceAlert.objects.exists()
        response = send(client, session, bond="", goals=9, visibility="shared")
        assert response.status_code == 302
        assert ratings_of(SessionFeedback.objects.get()) == (None, 9, None, None)
        # Only the 9 is left: no low rating, an average of 9, so the alert goes.
        assert not AllianceAlert.objects.exists()

    def test_the_patients_page_says_what_was_not_answered(self, client, patient, therapist):
        rated(patient, therapist, 8, None, 6, None, days_ago=8)
        rated(patient, therapist, 9, 9, 9, 9, days_ago=1)
        client.force_login(patient)
        page = client.get(reverse("feedback:mine")).content.decode()
        assert page.count('<span class="text-muted">not answered</span>') == 2
        assert "Average: <strong>7.0</strong> out of 10 (2 of 4 answered)" in page
        assert "Average: <strong>9.0</strong> out of 10 (4 of 4 answered)" in page

    def test_the_next_summary_keeps_unanswered_as_not_answered(
        self, client, patient, therapist, session
    ):
        client.force_login(patient)
        send(client, session, approach=4, visibility="shared")
        upcoming = AppointmentFactory(therapist=therapist, patient=patient)
        [item] = summaries.build(upcoming)["relationship"]
        assert (item["bond"], item["goals"], item["approach"], item["overall"]) == (
            None,
            None,
            4,
            None,
        )


class TestTheChartLeavesGaps:
    def circles(self, page: str, label: str) -> list[str]:
        return re.findall(rf"<circle [^>]*><title>{re.escape(label)}, [^<]*</title>", page)

    @pytest.mark.parametrize("who", ["patient", "therapist"])
    def test_an_unanswered_rating_is_a_gap_not_a_point(self, client, patient, therapist, who):
        rated(patient, therapist, 9, 9, 9, 9, days_ago=15)
        rated(patient, therapist, 8, None, 8, None, days_ago=8)
        rated(patient, therapist, 9, 8, 9, None, days_ago=1)
        client.force_login(patient if who == "patient" else therapist)
        page_url = (
            reverse("feedback:mine")
            if who == "patient"
            else reverse("feedback:patient_feedback", args=[patient.pk])
        )
        page = client.get(page_url).content.decode()
        assert len(self.circles(page, SHORT_LABELS["bond"])) == 3
        assert len(self.circles(page, SHORT_LABELS["goals"])) == 2
        assert len(self.circles(page, SHORT_LABELS["overall"])) == 1
        # A broken line: goals has no segment joining across the unanswered session.
        assert "A gap in a line is a question left unanswered that time." in page

    def test_no_note_when_everything_was_answered(self, client, patient, therapist):
        rated(patient, therapist, 9, 9, 9, 9, days_ago=8)
        rated(patient, therapist, 9, 8, 9, 7, days_ago=1)
        client.force_login(patient)
        page = client.get(reverse("feedback:mine")).content.decode()
        assert "<svg" in page
        assert "A gap in a line" not in page


class TestMeansCountOnlyAnswers:
    def test_the_mean_is_of_the_answered_ratings(self, patient, therapist):
        feedback = rated(patient, therapist, 5, None, 6, None)
        assert feedback.mean == 5.5
        assert feedback.answered_text == "2 of 4 answered"
        assert feedback.answers == {"bond": 5, "approach": 6}

    def test_nothing_answered_has_no_mean(self):
        feedback = SessionFeedback()
        assert feedback.mean is None
        assert feedback.answered_text == "0 of 4 answered"
        assert alerts.reasons_for(feedback) == []

    def test_the_reasons_say_how_many_answers_they_rest_on(self, patient, therapist):
        feedback = rated(patient, therapist, 5, None, 6, None)
        assert alerts.reasons_for(feedback) == [
            "Feeling heard and respected rated 5",
            "The way we work rated 6",
            "Average 5.5 out of 10 (2 of 4 answered)",
        ]

    def test_an_unanswered_rating_is_never_taken_as_low(self, patient, therapist):
        # Taken as 0, the blanks would make two low ratings and an average of 4.5.
        assert alerts.reasons_for(rated(patient, therapist, 9, None, 9, None)) == []

    def test_the_usual_level_is_the_mean_of_earlier_answered_means(self, patient, therapist):
        rated(patient, therapist, 10, None, None, None, days_ago=9)  # 10
        rated(patient, therapist, None, 9, None, None, days_ago=8)  # 9
        rated(patient, therapist, 8, 10, None, None, days_ago=7)  # 9
        feedback = rated(patient, therapist, 7, None, None, 7)
        assert alerts.running_mean(feedback) == pytest.approx(28 / 3)
        assert alerts.reasons_for(feedback) == [
            "Average 7.0 out of 10 (2 of 4 answered)",
            "Down 2.3 from 9.3, the average of the last 3 sessions (2 of 4 answered)",
        ]

    def test_partly_answered_feedback_counts_once_on_the_practice_page(
        self, client, manager, patient, therapist
    ):
        rated(patient, therapist, None, None, None, 9, days_ago=8)
        rated(patient, therapist, 9, 9, 9, 9, days_ago=1)
        client.force_login(manager)
        page = client.get(reverse("feedback:practice_home")).content.decode()
        assert (
            f'<tr><td>{therapist.display_name}</td><td data-label="Patients">1</td>'
            '<td data-label="Feedback received">2</td>'
        ) in page


def test_every_question_is_on_the_form(client, patient, session):
    client.force_login(patient)
    page = client.get(url(session)).content.decode()
    for question in QUESTIONS.values():
        assert question in page
