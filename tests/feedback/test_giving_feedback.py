"""A patient says how a session felt (feedback:give_feedback): only after a session that
took place, once per session, changeable for 48 hours; what the therapist sees of it
follows the patient's choice of who sees it."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from appointments import booking
from appointments.models import Appointment
from feedback.emails import ESCALATION, FEEDBACK_REQUEST
from feedback.models import AllianceAlert, Escalation, SessionFeedback
from feedback.questions import RATINGS
from notifications.models import Message
from prep import summaries
from prep.models import AgendaItem
from prep.plans import RELATIONSHIP_AGENDA
from tests.factories import (
    AllianceAlertFactory,
    AppointmentFactory,
    AttendedAppointmentFactory,
    SessionFeedbackFactory,
    UserFactory,
)

COMMENT = "I felt rushed when we talked about my brother"
PRIVATE = "Sometimes I lie to you about how much I drink"
TO_MANAGER = "I have asked twice to slow down and nothing changed"
ESCALATION_SUBJECT = "A patient has asked for the practice manager"
ALERT_SUBJECT = "There is session feedback to read"


@pytest.fixture
def session(therapist, patient):
    return AttendedAppointmentFactory(therapist=therapist, patient=patient)


@pytest.fixture
def next_session(therapist, patient):
    return AppointmentFactory(therapist=therapist, patient=patient)


def url(appointment):
    return reverse("feedback:give_feedback", args=[appointment.pk])


def answers(**overrides):
    data = {name: 9 for name in RATINGS} | {"comment": "", "visibility": "shared"}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def give(client, appointment, **overrides):
    return client.post(url(appointment), answers(**overrides))


def pages_of(client, *urls):
    responses = [client.get(u) for u in urls]
    assert [r.status_code for r in responses] == [200] * len(urls), urls
    return [r.content.decode() for r in responses]


def therapist_pages(client, patient, next_session):
    """Every page where a therapist could meet this patient's feedback."""
    summaries.share(next_session)
    return pages_of(
        client,
        reverse("prep:therapist_dashboard"),
        reverse("feedback:patient_feedback", args=[patient.pk]),
        reverse("prep:patient_detail", args=[patient.pk]),
        reverse("accounts:patient_list"),
        reverse("prep:appointment_list"),
        reverse("prep:summary_read", args=[next_session.pk]),
    )


class TestOnlyForASessionThatTookPlace:
    def test_the_patient_opens_the_form_for_an_attended_session(self, client, patient, session):
        client.force_login(patient)
        response = client.get(url(session))
        assert response.status_code == 200
        page = response.content.decode()
        assert "How did your session feel?" in page
        assert "With Dana Reyes" in page
        assert "I felt heard, respected and safe to be honest" in page

    def test_a_session_attended_late_takes_feedback(self, client, therapist, patient):
        late = AttendedAppointmentFactory(therapist=therapist, patient=patient, outcome="late")
        client.force_login(patient)
        assert give(client, late).status_code == 302
        assert SessionFeedback.objects.get().appointment_id == late.pk

    @pytest.mark.parametrize(
        "outcome", ["no_show", "cancelled_by_patient", "cancelled_by_therapist", ""]
    )
    def test_a_session_that_did_not_take_place_is_not_found(
        self, client, therapist, patient, outcome
    ):
        missed = AttendedAppointmentFactory(therapist=therapist, patient=patient, outcome=outcome)
        client.force_login(patient)
        assert client.get(url(missed)).status_code == 404
        assert give(client, missed).status_code == 404
        assert not SessionFeedback.objects.exists()

    def test_an_upcoming_session_is_not_found(self, client, patient, next_session):
        client.force_login(patient)
        assert client.get(url(next_session)).status_code == 404
        assert give(client, next_session).status_code == 404
        assert not SessionFeedback.objects.exists()

    def test_another_patients_session_is_not_found(self, client, other_patient, session):
        client.force_login(other_patient)
        assert client.get(url(session)).status_code == 404
        assert give(client, session, bond=0).status_code == 404
        assert not SessionFeedback.objects.exists()

    def test_a_session_that_does_not_exist_is_not_found(self, client, patient):
        client.force_login(patient)
        assert client.get(reverse("feedback:give_feedback", args=[999_999])).status_code == 404


class TestRatingsMustBe0To10:
    @pytest.mark.parametrize("name", RATINGS)
    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (11, "Ensure this value is less than or equal to 10."),
            (-1, "Ensure this value is greater than or equal to 0."),
            ("seven", "Enter a whole number."),
        ],
    )
    def test_a_rating_out_of_range_is_refused_and_nothing_is_saved(
        self, client, patient, session, name, value, message
    ):
        client.force_login(patient)
        response = give(client, session, **{name: value})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not SessionFeedback.objects.exists()
        assert not AllianceAlert.objects.exists()

    def test_0_and_10_are_both_fine(self, client, patient, session):
        client.force_login(patient)
        assert give(client, session, bond=0, goals=10, approach=0, overall=10).status_code == 302
        saved = SessionFeedback.objects.get()
        assert (saved.bond, saved.goals, saved.approach, saved.overall) == (0, 10, 0, 10)

    def test_an_unknown_visibility_is_refused(self, client, patient, session):
        client.force_login(patient)
        response = give(client, session, visibility="everyone")
        assert response.status_code == 400
        assert not SessionFeedback.objects.exists()

    def test_the_database_refuses_a_rating_over_10(self, patient, therapist):
        with pytest.raises(IntegrityError), transaction.atomic():
            SessionFeedbackFactory(patient=patient, therapist=therapist, overall=11)

    def test_the_database_takes_unanswered_ratings_as_null(self, patient, therapist):
        saved = SessionFeedbackFactory(
            patient=patient, therapist=therapist, bond=None, goals=None, approach=None, overall=0
        )
        saved.refresh_from_db()
        assert (saved.bond, saved.goals, saved.approach, saved.overall) == (None, None, None, 0)

    def test_the_database_refuses_feedback_with_nothing_answered(self, patient, therapist):
        with (
            pytest.raises(IntegrityError, match="feedback_something_answered"),
            transaction.atomic(),
        ):
            SessionFeedbackFactory(
                patient=patient,
                therapist=therapist,
                bond=None,
                goals=None,
                approach=None,
                overall=None,
            )
        assert not SessionFeedback.objects.exists()

    def test_the_database_refuses_feedback_without_a_choice_of_who_sees_it(
        self, patient, therapist
    ):
        with (
            pytest.raises(IntegrityError, match="feedback_visibility_chosen"),
            transaction.atomic(),
        ):
            SessionFeedbackFactory(patient=patient, therapist=therapist, visibility="")


class TestOnePerSession:
    def test_a_second_answer_changes_the_first(self, client, patient, session):
        client.force_login(patient)
        give(client, session, bond=4, comment="First go")
        response = give(client, session, bond=8, comment="On reflection it was fine")
        assert response.status_code == 302
        saved = SessionFeedback.objects.get()
        assert (saved.bond, saved.comment) == (8, "On reflection it was fine")
        assert saved.patient == patient
        assert saved.therapist == session.therapist
        assert saved.session_at == session.starts_at

    def test_the_form_opens_with_the_answer_already_given(self, client, patient, session):
        client.force_login(patient)
        give(client, session, comment="Already said this")
        page = client.get(url(session)).content.decode()
        assert "Already said this" in page
        assert "You can change this until" in page

    def test_the_database_holds_one_feedback_per_patient_and_session(self, patient, session):
        SessionFeedbackFactory.for_session(session)
        with pytest.raises(IntegrityError), transaction.atomic():
            SessionFeedbackFactory.for_session(session, bond=2)
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, SessionFeedback._meta.db_table
            )
        assert constraints["feedback_one_per_session"]["unique"]
        assert constraints["feedback_one_per_session"]["columns"] == [
            "patient_id",
            "appointment_id",
        ]

    def test_the_appointment_is_a_real_foreign_key(self, patient, session):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, SessionFeedback._meta.db_table
            )
        [foreign_key] = [
            c["foreign_key"]
            for c in constraints.values()
            if c["foreign_key"] and c["columns"] == ["appointment_id"]
        ]
        assert foreign_key == (Appointment._meta.db_table, "id")

    def test_deleting_the_session_removes_its_feedback(self, patient, therapist, session):
        feedback = SessionFeedbackFactory.for_session(session, bond=2)
        AllianceAlertFactory(feedback=feedback)
        kept = SessionFeedbackFactory(patient=patient, therapist=therapist)
        assert list(session.feedback.all()) == [feedback]

        session.delete()
        assert list(SessionFeedback.objects.all()) == [kept]
        assert not AllianceAlert.objects.exists()


class TestFortyEightHoursToChangeIt:
    @pytest.fixture
    def given_at(self, client, patient, session):
        moment = timezone.now()
        with time_machine.travel(moment, tick=False):
            client.force_login(patient)
            give(client, session, bond=5)
        return moment

    def test_it_can_be_changed_just_before_48_hours(self, client, patient, session, given_at):
        with time_machine.travel(given_at + timedelta(hours=47, minutes=59), tick=False):
            client.force_login(patient)  # a new sign-in: sessions end sooner than this
            assert client.get(url(session)).status_code == 200
            assert give(client, session, bond=7).status_code == 302
            assert "Change until" in client.get(reverse("feedback:mine")).content.decode()
        assert SessionFeedback.objects.get().bond == 7

    def test_after_48_hours_it_is_settled_and_read_only(self, client, patient, session, given_at):
        with time_machine.travel(given_at + timedelta(hours=48), tick=False):
            client.force_login(patient)
            response = client.get(url(session))
            assert response.status_code == 200
            page = response.content.decode()
            assert "this one is settled" in page
            assert 'name="bond"' not in page
            assert "Change until" not in client.get(reverse("feedback:mine")).content.decode()

            posted = give(client, session, bond=10, comment="Too late to change")
            assert posted.status_code == 200
            assert "this one is settled" in posted.content.decode()
        saved = SessionFeedback.objects.get()
        assert (saved.bond, saved.comment) == (5, "")

    def test_the_window_follows_the_setting(self, settings, client, session, given_at):
        settings.FEEDBACK_EDITABLE_HOURS = 2
        with time_machine.travel(given_at + timedelta(hours=2), tick=False):
            assert "this one is settled" in client.get(url(session)).content.decode()


class TestTalkingAboutItNextTime:
    def test_the_tick_adds_one_line_to_the_agenda_even_when_changed(self, client, patient, session):
        client.force_login(patient)
        give(client, session, bond=5, discuss_next_time="on")
        give(client, session, bond=6, discuss_next_time="on")
        assert [item.text for item in AgendaItem.objects.filter(patient=patient)] == [
            RELATIONSHIP_AGENDA
        ]

    def test_no_tick_no_agenda_line(self, client, patient, session):
        client.force_login(patient)
        give(client, session, bond=5)
        assert not AgendaItem.objects.exists()

    def test_the_next_summary_lists_it(self, client, patient, session, next_session):
        client.force_login(patient)
        give(client, session, bond=5, discuss_next_time="on")

        snapshot = summaries.build(next_session)
        [item] = snapshot["relationship"]
        assert item["wants_to_talk"] is True
        assert (item["bond"], item["goals"], item["approach"], item["overall"]) == (5, 9, 9, 9)
        assert RELATIONSHIP_AGENDA in [line["text"] for line in snapshot["agenda"]]

        summaries.generate_draft(next_session)
        page = client.get(reverse("prep:summary_review", args=[next_session.pk])).content
        assert "would like to talk about the relationship" in page.decode()

    @pytest.mark.parametrize(
        ("visibility", "tick", "comment_in_summary"),
        [
            ("shared", "on", COMMENT),
            ("shared", None, ""),
            ("scores", "on", ""),
        ],
    )
    def test_the_comment_reaches_the_summary_only_when_shared_and_ticked(
        self, client, patient, session, next_session, visibility, tick, comment_in_summary
    ):
        client.force_login(patient)
        give(client, session, comment=COMMENT, visibility=visibility, discuss_next_time=tick)
        [item] = summaries.build(next_session)["relationship"]
        assert item["comment"] == comment_in_summary
        assert item["bond"] == 9

    def test_private_feedback_is_left_out_of_the_summary(
        self, client, patient, session, next_session
    ):
        client.force_login(patient)
        give(client, session, bond=2, comment=PRIVATE, visibility="private", discuss_next_time="on")
        assert summaries.build(next_session)["relationship"] == []


class TestWhatTheTherapistSees:
    def test_shared_feedback_shows_scores_and_comment(
        self, client, patient, therapist, session, next_session
    ):
        client.force_login(patient)
        give(client, session, bond=4, comment=COMMENT, discuss_next_time="on")
        alert = AllianceAlert.objects.get()
        client.force_login(therapist)
        history, detail = pages_of(
            client,
            reverse("feedback:patient_feedback", args=[patient.pk]),
            reverse("feedback:alert_detail", args=[alert.pk]),
        )
        assert COMMENT in history
        assert '<td data-label="Heard">4</td>' in history
        assert COMMENT in detail
        assert "They would like to talk about the relationship next time." in detail

    def test_scores_only_shows_the_scores_without_the_comment(
        self, client, patient, therapist, session, next_session
    ):
        client.force_login(patient)
        give(client, session, bond=4, comment=COMMENT, visibility="scores", discuss_next_time="on")
        alert = AllianceAlert.objects.get()
        client.force_login(therapist)
        pages = therapist_pages(client, patient, next_session)
        [detail] = pages_of(client, reverse("feedback:alert_detail", args=[alert.pk]))
        history = pages[1]
        assert '<td data-label="Heard">4</td>' in history
        assert "scores only" in history
        assert "The patient shared the scores only." in detail
        assert "rated 4" in detail
        for page in [*pages, detail]:
            assert COMMENT not in page
            assert "brother" not in page

    def test_private_feedback_appears_on_no_therapist_page(
        self, client, patient, therapist, session, next_session
    ):
        client.force_login(patient)
        response = give(
            client, session, bond=1, goals=2, comment=PRIVATE, visibility="private",
            discuss_next_time="on",
        )  # fmt: skip
        assert response.status_code == 302
        assert not AllianceAlert.objects.exists()
        client.force_login(therapist)
        pages = therapist_pages(client, patient, next_session)
        assert "Feedback to read" not in pages[0]
        assert "Nothing shared yet." in pages[1]
        for page in pages:
            assert PRIVATE not in page
            assert "would like to talk about the relationship" not in page

    def test_an_alert_on_private_feedback_is_not_found(self, client, patient, therapist):
        private = SessionFeedbackFactory(
            patient=patient, therapist=therapist, bond=1, visibility="private", comment=PRIVATE
        )
        alert = AllianceAlertFactory(feedback=private)
        client.force_login(therapist)
        assert client.get(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 404
        assert client.post(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 404
        [dashboard] = pages_of(client, reverse("prep:therapist_dashboard"))
        assert "Feedback to read" not in dashboard
        alert.refresh_from_db()
        assert alert.acknowledged_at is None

    def test_changing_to_private_withdraws_an_unread_alert(
        self, client, patient, therapist, session
    ):
        client.force_login(patient)
        give(client, session, bond=3, comment=PRIVATE)
        alert = AllianceAlert.objects.get()
        give(client, session, bond=3, comment=PRIVATE, visibility="private")
        assert not AllianceAlert.objects.exists()
        client.force_login(therapist)
        assert client.get(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 404
        [dashboard] = pages_of(client, reverse("prep:therapist_dashboard"))
        assert "Feedback to read" not in dashboard

    def test_changing_to_private_after_it_was_read_hides_it_too(
        self, client, patient, therapist, session
    ):
        client.force_login(patient)
        give(client, session, bond=3, comment=PRIVATE)
        alert = AllianceAlert.objects.get()
        AllianceAlert.objects.filter(pk=alert.pk).update(acknowledged_at=timezone.now())
        give(client, session, bond=3, comment=PRIVATE, visibility="private")
        assert AllianceAlert.objects.filter(pk=alert.pk).exists()  # history is kept
        client.force_login(therapist)
        assert client.get(reverse("feedback:alert_detail", args=[alert.pk])).status_code == 404
        [history] = pages_of(client, reverse("feedback:patient_feedback", args=[patient.pk]))
        assert PRIVATE not in history
        assert "Nothing shared yet." in history

    def test_the_therapist_is_emailed_once_that_there_is_something_to_read(
        self, client, deliver_outbox, patient, therapist, session
    ):
        client.force_login(patient)
        give(client, session, bond=3, comment=COMMENT)
        deliver_outbox()
        give(client, session, bond=2, comment=COMMENT)
        deliver_outbox()
        [email] = [m for m in mail.outbox if m.to == [therapist.email]]
        assert ALERT_SUBJECT in email.subject
        assert COMMENT not in email.body
        assert patient.last_name not in email.body


class TestEscalation:
    def escalate(self, client, patient, session, *, may_know=False, **overrides):
        client.force_login(patient)
        return give(
            client, session, escalate="on", escalation_message=TO_MANAGER,
            therapist_may_know="on" if may_know else None, **overrides,
        )  # fmt: skip

    def test_the_manager_sees_it_and_marks_it_handled(self, client, patient, manager, session):
        assert self.escalate(client, patient, session, bond=1, goals=2).status_code == 302
        escalation = Escalation.objects.get()
        assert escalation.message == TO_MANAGER
        assert escalation.therapist_may_know is False

        client.force_login(manager)
        [page] = pages_of(client, reverse("feedback:practice_home"))
        assert TO_MANAGER in page
        assert "Sam Patel" in page
        assert "about Dana Reyes" in page
        assert "The patient has not agreed to the therapist being told." in page
        assert "Mark as handled" in page

        response = client.post(reverse("feedback:escalation_handled", args=[escalation.pk]))
        assert response.url == reverse("feedback:practice_home")
        escalation.refresh_from_db()
        assert escalation.handled_at is not None
        assert escalation.handled_by == manager
        [page] = pages_of(client, reverse("feedback:practice_home"))
        assert "Handled by Jo Carter" in page
        assert "Mark as handled" not in page

    def test_each_active_practice_manager_is_emailed_once_without_any_details(
        self, client, deliver_outbox, patient, therapist, manager, session
    ):
        second = UserFactory(manager=True, first_name="Ari", last_name="Stone")
        former = UserFactory(manager=True, first_name="Former", last_name="Manager")
        former.is_active = False
        former.save()
        self.escalate(client, patient, session, bond=1, goals=2, comment=COMMENT)
        escalation = Escalation.objects.get()

        rows = Message.objects.filter(kind=ESCALATION, target_id=escalation.pk)
        assert sorted(row.recipient_id for row in rows) == sorted([manager.pk, second.pk])
        deliver_outbox()
        emails = [m for m in mail.outbox if ESCALATION_SUBJECT in m.subject]
        assert sorted(m.to for m in emails) == sorted([[manager.email], [second.email]])
        for email in emails:
            for text in (email.subject, email.body, email.alternatives[0][0]):
                for secret in (
                    TO_MANAGER,
                    COMMENT,
                    "slow down",
                    patient.first_name,
                    patient.last_name,
                    patient.email,
                    therapist.first_name,
                    therapist.last_name,
                    therapist.email,
                ):
                    assert secret not in text, secret

    def test_a_doubled_post_escalates_and_emails_once(
        self, client, deliver_outbox, patient, therapist, manager, session
    ):
        first = self.escalate(client, patient, session, bond=1, goals=2)
        again = self.escalate(client, patient, session, bond=1, goals=2)
        assert (first.status_code, again.status_code) == (302, 302)
        assert SessionFeedback.objects.count() == 1
        assert Escalation.objects.count() == 1
        assert Message.objects.filter(kind=ESCALATION).count() == 1
        deliver_outbox()
        assert [m.to for m in mail.outbox if ESCALATION_SUBJECT in m.subject] == [[manager.email]]
        assert [m.to for m in mail.outbox if ALERT_SUBJECT in m.subject] == [[therapist.email]]

    def test_marking_it_handled_twice_keeps_the_first(self, client, patient, manager, session):
        self.escalate(client, patient, session)
        escalation = Escalation.objects.get()
        client.force_login(manager)
        client.post(reverse("feedback:escalation_handled", args=[escalation.pk]))
        first = Escalation.objects.get().handled_at
        client.post(reverse("feedback:escalation_handled", args=[escalation.pk]))
        assert Escalation.objects.get().handled_at == first

    def test_private_feedback_can_still_be_escalated(self, client, patient, manager, session):
        self.escalate(client, patient, session, bond=2, visibility="private")
        assert Escalation.objects.count() == 1
        client.force_login(manager)
        assert TO_MANAGER in pages_of(client, reverse("feedback:practice_home"))[0]

    def test_an_escalation_once_sent_is_not_sent_or_changed_again(self, client, patient, session):
        self.escalate(client, patient, session, bond=2)
        page = client.get(url(session)).content.decode()
        assert "Also send this to the practice manager" not in page
        give(client, session, bond=3, escalate="on", escalation_message="Something else")
        assert Escalation.objects.get().message == TO_MANAGER

    def test_the_therapist_sees_nothing_of_it_unless_the_patient_allows(
        self, client, patient, therapist, session, next_session
    ):
        self.escalate(client, patient, session, may_know=False, bond=2, comment=COMMENT)
        assert Escalation.objects.get().therapist_may_know is False
        alert = AllianceAlert.objects.get()
        client.force_login(therapist)
        pages = therapist_pages(client, patient, next_session)
        pages += pages_of(client, reverse("feedback:alert_detail", args=[alert.pk]))
        for page in pages:
            assert TO_MANAGER not in page
            assert "manager" not in page.lower()
            assert "escalat" not in page.lower()

    def test_with_permission_the_therapist_learns_of_it_on_the_feedback_history(
        self, client, patient, therapist, session
    ):
        self.escalate(client, patient, session, may_know=True, bond=2, comment=COMMENT)
        client.force_login(therapist)
        page = client.get(reverse("feedback:patient_feedback", args=[patient.pk])).content.decode()
        assert "Also sent to the practice manager" in page
        assert TO_MANAGER in page


class TestTheFeedbackRequest:
    """Recording a session as attended (on time or late) writes the request to the
    outbox; the dispatcher sends it unless, by then, the patient has answered or the
    outcome was corrected."""

    @pytest.fixture
    def just_happened(self, therapist, patient):
        starts_at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
        return AppointmentFactory(therapist=therapist, patient=patient, starts_at=starts_at)

    def requests_to(self, patient):
        return [
            m
            for m in mail.outbox
            if m.to == [patient.email] and "How did your session feel?" in m.subject
        ]

    def request_rows(self, appointment):
        return Message.objects.filter(kind=FEEDBACK_REQUEST, target_id=appointment.pk)

    @pytest.mark.parametrize("outcome", ["attended", "late"])
    def test_a_session_that_took_place_asks_for_feedback_by_email(
        self, deliver_outbox, patient, just_happened, outcome
    ):
        booking.record_outcome(just_happened, outcome)
        [row] = self.request_rows(just_happened)
        assert row.recipient == patient
        assert self.requests_to(patient) == []  # it waits in the outbox
        deliver_outbox()
        [email] = self.requests_to(patient)
        link = f"{settings.SITE_URL}{url(just_happened)}"
        assert link in email.body
        assert f'href="{link}"' in email.alternatives[0][0]
        deliver_outbox()
        assert len(self.requests_to(patient)) == 1

    def test_a_missed_session_does_not(self, deliver_outbox, patient, just_happened):
        booking.record_outcome(just_happened, Appointment.Outcome.NO_SHOW)
        assert not self.request_rows(just_happened).exists()
        deliver_outbox()
        assert self.requests_to(patient) == []

    def test_it_is_not_sent_once_the_patient_has_given_feedback(
        self, client, deliver_outbox, patient, just_happened
    ):
        booking.record_outcome(just_happened, "attended")
        client.force_login(patient)
        assert give(client, just_happened).status_code == 302
        deliver_outbox()
        assert self.requests_to(patient) == []
        assert self.request_rows(just_happened).get().status == Message.Status.SKIPPED

    def test_it_is_not_sent_when_the_outcome_is_corrected_to_a_no_show(
        self, deliver_outbox, patient, just_happened
    ):
        booking.record_outcome(just_happened, "attended")
        booking.record_outcome(just_happened, "no_show")
        deliver_outbox()
        assert self.requests_to(patient) == []
        assert self.request_rows(just_happened).get().status == Message.Status.SKIPPED

    def test_a_corrected_outcome_never_asks_twice(self, deliver_outbox, patient, just_happened):
        booking.record_outcome(just_happened, "attended")
        deliver_outbox()
        booking.record_outcome(just_happened, "late")
        deliver_outbox()
        assert len(self.requests_to(patient)) == 1
        assert self.request_rows(just_happened).count() == 1

    def test_the_home_page_asks_until_feedback_is_given(self, client, patient, just_happened):
        booking.record_outcome(just_happened, "attended")
        client.force_login(patient)
        page = client.get(reverse("prep:patient_home")).content.decode()
        assert "How did your session on" in page
        assert f'href="{url(just_happened)}"' in page

        give(client, just_happened)
        page = client.get(reverse("prep:patient_home")).content.decode()
        assert "How did your session on" not in page
        assert url(just_happened) not in page

    def test_the_home_page_does_not_ask_about_a_missed_session(
        self, client, patient, just_happened
    ):
        booking.record_outcome(just_happened, "no_show")
        client.force_login(patient)
        assert (
            "How did your session on"
            not in client.get(reverse("prep:patient_home")).content.decode()
        )
