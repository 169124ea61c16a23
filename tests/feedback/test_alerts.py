"""When relationship feedback asks for the therapist's attention (feedback/alerts.py).

Defaults: any rating at or below 6, a mean under 9, or a mean 2 or more below the
patient's own running mean of their previous three feedbacks to the same therapist.
Only scores the patient shares can raise an alert, and the therapist is emailed that
there is something to read, never what it says."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from feedback import alerts
from feedback.emails import ALLIANCE_ALERT
from feedback.models import AllianceAlert, SessionFeedback
from notifications.models import Message
from tests.factories import SessionFeedbackFactory

SUBJECT = "There is session feedback to read"
COMMENT = "You looked at the clock while I talked about my father"


def rated(patient, therapist, bond, goals, approach, overall, *, days_ago=1, **kwargs):
    session_at = (timezone.now() - timedelta(days=days_ago)).replace(second=0, microsecond=0)
    return SessionFeedbackFactory(
        patient=patient,
        therapist=therapist,
        session_at=session_at,
        bond=bond,
        goals=goals,
        approach=approach,
        overall=overall,
        **kwargs,
    )


def history(patient, therapist, *means, visibility="shared"):
    """Earlier feedback, oldest first, each with all four ratings at the given value,
    ending five days ago."""
    for offset, value in enumerate(reversed(means)):
        rated(patient, therapist, *[value] * 4, days_ago=5 + offset, visibility=visibility)


def drops(reasons):
    return [reason for reason in reasons if reason.startswith("Down")]


def alert_emails():
    return [message for message in mail.outbox if SUBJECT in message.subject]


def alert_rows(alert):
    return Message.objects.filter(kind=ALLIANCE_ALERT, target_id=alert.pk)


class TestAnyLowRating:
    def test_a_rating_of_6_raises_an_alert(self, patient, therapist):
        feedback = rated(patient, therapist, 6, 10, 10, 10)  # mean exactly 9
        assert alerts.reasons_for(feedback) == ["Feeling heard and respected rated 6"]

    def test_a_rating_of_7_does_not(self, patient, therapist):
        feedback = rated(patient, therapist, 7, 10, 10, 10)
        assert alerts.reasons_for(feedback) == []

    @pytest.mark.parametrize(
        ("ratings", "reason"),
        [
            ((10, 6, 10, 10), "Working on what matters rated 6"),
            ((10, 10, 6, 10), "The way we work rated 6"),
            ((10, 10, 10, 6), "Overall rated 6"),
            ((0, 10, 10, 10), "Feeling heard and respected rated 0"),
        ],
    )
    def test_each_of_the_four_ratings_counts(self, patient, therapist, ratings, reason):
        assert reason in alerts.reasons_for(rated(patient, therapist, *ratings))

    def test_every_low_rating_is_named_with_the_low_mean(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 10, 5, 10)
        assert alerts.reasons_for(feedback) == [
            "Feeling heard and respected rated 3",
            "The way we work rated 5",
            "Average 7.0 out of 10 (4 of 4 answered)",
        ]


class TestMean:
    def test_a_mean_of_exactly_9_raises_nothing(self, patient, therapist):
        assert alerts.reasons_for(rated(patient, therapist, 9, 9, 9, 9)) == []

    def test_a_mean_just_under_9_raises_an_alert(self, patient, therapist):
        feedback = rated(patient, therapist, 8, 9, 9, 9)  # 8.75, no rating at or below 6
        assert alerts.reasons_for(feedback) == ["Average 8.8 out of 10 (4 of 4 answered)"]

    def test_a_mean_well_under_9_with_no_low_rating(self, patient, therapist):
        assert alerts.reasons_for(rated(patient, therapist, 7, 7, 7, 7)) == [
            "Average 7.0 out of 10 (4 of 4 answered)"
        ]


class TestDropFromTheRunningMean:
    """The drop is measured from the mean of the previous three feedbacks of the same
    patient to the same therapist, on earlier sessions."""

    def test_a_drop_of_exactly_2_raises_an_alert(self, patient, therapist):
        history(patient, therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert alerts.reasons_for(feedback) == [
            "Average 8.0 out of 10 (4 of 4 answered)",
            "Down 2.0 from 10.0, the average of the last 3 sessions (4 of 4 answered)",
        ]

    def test_a_drop_just_under_2_is_not_a_drop(self, patient, therapist):
        history(patient, therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 9, 8, 8, 8)  # 8.25: down 1.75
        assert drops(alerts.reasons_for(feedback)) == []

    def test_the_drop_alone_raises_an_alert_when_the_other_rules_are_quiet(
        self, settings, patient, therapist
    ):
        settings.ALLIANCE_ALERT_MEAN_BELOW = 0
        history(patient, therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert alerts.reasons_for(feedback) == [
            "Down 2.0 from 10.0, the average of the last 3 sessions (4 of 4 answered)"
        ]

    def test_the_running_mean_is_of_the_previous_three(self, patient, therapist):
        history(patient, therapist, 0, 10, 9, 8)  # the 0 is four sessions back
        feedback = rated(patient, therapist, 7, 7, 7, 7)
        assert drops(alerts.reasons_for(feedback)) == [
            "Down 2.0 from 9.0, the average of the last 3 sessions (4 of 4 answered)"
        ]

    def test_with_one_previous_feedback_the_drop_is_from_that_one(self, patient, therapist):
        history(patient, therapist, 10)
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert drops(alerts.reasons_for(feedback)) == [
            "Down 2.0 from 10.0 last time (4 of 4 answered)"
        ]

    def test_with_two_previous_feedbacks_the_drop_is_from_their_mean(self, patient, therapist):
        history(patient, therapist, 10, 9)
        feedback = rated(patient, therapist, 8, 7, 8, 7)  # 7.5, down 2.0 from 9.5
        assert drops(alerts.reasons_for(feedback)) == [
            "Down 2.0 from 9.5, the average of the last 2 sessions (4 of 4 answered)"
        ]

    def test_the_first_feedback_has_no_running_mean(self, patient, therapist):
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert alerts.running_mean(feedback) is None
        assert alerts.reasons_for(feedback) == ["Average 8.0 out of 10 (4 of 4 answered)"]

    def test_later_sessions_do_not_count(self, patient, therapist):
        feedback = rated(patient, therapist, 8, 8, 8, 8, days_ago=10)
        history(patient, therapist, 10, 10, 10)  # all after the session rated
        assert drops(alerts.reasons_for(feedback)) == []

    def test_feedback_to_another_therapist_does_not_count(
        self, patient, therapist, other_therapist
    ):
        history(patient, other_therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert drops(alerts.reasons_for(feedback)) == []

    def test_another_patients_feedback_does_not_count(self, patient, other_patient, therapist):
        history(other_patient, therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert drops(alerts.reasons_for(feedback)) == []

    def test_a_rise_is_never_a_drop(self, patient, therapist):
        history(patient, therapist, 2, 2, 2)
        assert drops(alerts.reasons_for(rated(patient, therapist, 9, 9, 9, 9))) == []

    def test_private_feedback_does_not_set_the_usual_level(self, patient, therapist):
        history(patient, therapist, 10, 10, 10, visibility="private")
        feedback = rated(patient, therapist, 8, 8, 8, 8)
        assert alerts.running_mean(feedback) is None
        assert drops(alerts.reasons_for(feedback)) == []


class TestThresholdsComeFromSettings:
    def test_the_item_threshold(self, settings, patient, therapist):
        feedback = rated(patient, therapist, 7, 10, 10, 10)
        assert alerts.reasons_for(feedback) == []
        settings.ALLIANCE_ALERT_ITEM_MAX = 7
        assert alerts.reasons_for(feedback) == ["Feeling heard and respected rated 7"]

    def test_the_mean_threshold(self, settings, patient, therapist):
        feedback = rated(patient, therapist, 9, 9, 9, 10)  # 9.25
        assert alerts.reasons_for(feedback) == []
        settings.ALLIANCE_ALERT_MEAN_BELOW = 9.5
        assert alerts.reasons_for(feedback) == ["Average 9.2 out of 10 (4 of 4 answered)"]

    def test_the_drop_threshold(self, settings, patient, therapist):
        history(patient, therapist, 10, 10, 10)
        feedback = rated(patient, therapist, 9, 9, 9, 9)
        assert alerts.reasons_for(feedback) == []
        settings.ALLIANCE_ALERT_DROP = 1
        assert alerts.reasons_for(feedback) == [
            "Down 1.0 from 10.0, the average of the last 3 sessions (4 of 4 answered)"
        ]


class TestEvaluate:
    def test_low_feedback_raises_one_alert_with_its_reasons(self, patient, therapist):
        feedback = rated(patient, therapist, 4, 9, 9, 9)
        alert = alerts.evaluate(feedback)
        assert alert is not None
        assert AllianceAlert.objects.get() == alert
        assert alert.reasons == [
            "Feeling heard and respected rated 4",
            "Average 7.8 out of 10 (4 of 4 answered)",
        ]
        assert alert.acknowledged_at is None

    def test_good_feedback_raises_none(self, patient, therapist):
        assert alerts.evaluate(rated(patient, therapist, 9, 10, 9, 10)) is None
        assert not AllianceAlert.objects.exists()

    def test_private_feedback_raises_no_alert_however_low(self, patient, therapist):
        feedback = rated(patient, therapist, 0, 0, 0, 0, visibility="private")
        assert alerts.evaluate(feedback) is None
        assert not AllianceAlert.objects.exists()

    def test_scores_only_feedback_raises_an_alert(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 9, 9, 9, visibility="scores")
        assert alerts.evaluate(feedback) is not None

    def test_an_edit_that_removes_the_problem_withdraws_the_alert(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 9, 9, 9)
        alerts.evaluate(feedback)
        feedback.bond = 9
        feedback.save()
        assert alerts.evaluate(feedback) is None
        assert not AllianceAlert.objects.exists()

    def test_an_edit_to_private_withdraws_the_alert(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 9, 9, 9)
        alerts.evaluate(feedback)
        feedback.visibility = SessionFeedback.Visibility.PRIVATE
        feedback.save()
        assert alerts.evaluate(feedback) is None
        assert not AllianceAlert.objects.exists()

    def test_an_edit_that_changes_the_problem_updates_the_reasons(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 9, 9, 9)
        first = alerts.evaluate(feedback)
        feedback.bond, feedback.overall = 9, 5
        feedback.save()
        second = alerts.evaluate(feedback)
        assert second.pk == first.pk
        assert second.reasons == ["Overall rated 5", "Average 8.0 out of 10 (4 of 4 answered)"]
        assert AllianceAlert.objects.count() == 1

    def test_an_acknowledged_alert_stays_as_it_was(self, patient, therapist):
        feedback = rated(patient, therapist, 3, 9, 9, 9)
        alert = alerts.evaluate(feedback)
        alerts.acknowledge(alert, "Thank you for telling me.")
        feedback.bond = 10
        feedback.save()
        kept = alerts.evaluate(feedback)
        assert kept.pk == alert.pk
        kept.refresh_from_db()
        assert kept.reasons == [
            "Feeling heard and respected rated 3",
            "Average 7.5 out of 10 (4 of 4 answered)",
        ]
        assert kept.reply == "Thank you for telling me."

    def test_an_acknowledged_alert_stays_when_the_feedback_becomes_private(
        self, patient, therapist
    ):
        feedback = rated(patient, therapist, 3, 9, 9, 9)
        alert = alerts.evaluate(feedback)
        alerts.acknowledge(alert, "")
        feedback.visibility = SessionFeedback.Visibility.PRIVATE
        feedback.save()
        alerts.evaluate(feedback)
        assert AllianceAlert.objects.filter(pk=alert.pk).exists()


class TestTheEmailToTheTherapist:
    """The email is an outbox row written with the alert, in its transaction; the
    dispatcher sends it unless the alert was read or withdrawn by then."""

    def test_exactly_one_email_says_there_is_feedback_to_read_and_nothing_else(
        self, deliver_outbox, patient, therapist
    ):
        feedback = rated(patient, therapist, 2, 3, 4, 5, comment=COMMENT)
        alert = alerts.evaluate(feedback)
        # An edit that keeps the problem updates the alert without a second email.
        feedback.bond = 1
        feedback.save()
        alerts.evaluate(feedback)
        deliver_outbox()
        deliver_outbox()

        [email] = alert_emails()
        assert email.to == [therapist.email]
        assert len(mail.outbox) == 1
        [row] = alert_rows(alert)
        assert (row.recipient, row.status) == (therapist, Message.Status.SENT)
        assert row.sent_at is not None
        html = email.alternatives[0][0]
        for text in (email.subject, email.body, html):
            for secret in (
                COMMENT,
                "clock",
                patient.first_name,
                patient.last_name,
                patient.email,
                "rated",
                "Average",
                "Feeling heard",
            ):
                assert secret not in text, secret

    def test_the_email_waits_in_the_outbox_for_the_dispatcher(
        self, deliver_outbox, patient, therapist
    ):
        alert = alerts.evaluate(rated(patient, therapist, 2, 9, 9, 9))
        [row] = alert_rows(alert)
        assert (row.recipient, row.status) == (therapist, Message.Status.PENDING)
        assert alert_emails() == []
        assert deliver_outbox() == 1
        assert len(alert_emails()) == 1

    def test_the_email_is_written_only_if_the_alert_is(self, deliver_outbox, patient, therapist):
        feedback = rated(patient, therapist, 2, 9, 9, 9)
        with pytest.raises(RuntimeError), transaction.atomic():
            alerts.evaluate(feedback)
            raise RuntimeError("the save failed after the alert was raised")
        assert not AllianceAlert.objects.exists()
        assert not Message.objects.filter(kind=ALLIANCE_ALERT).exists()
        deliver_outbox()
        assert alert_emails() == []

    def test_no_email_once_the_alert_is_read_before_it_goes(
        self, deliver_outbox, patient, therapist
    ):
        alert = alerts.evaluate(rated(patient, therapist, 2, 9, 9, 9))
        alerts.acknowledge(alert, "Thank you, let's talk on Tuesday.")
        deliver_outbox()
        assert alert_emails() == []
        [row] = alert_rows(alert)
        assert row.status == Message.Status.SKIPPED

    def test_no_email_once_care_has_ended(self, deliver_outbox, patient, therapist):
        alert = alerts.evaluate(rated(patient, therapist, 2, 9, 9, 9))
        patient.therapist_links.update(ended_at=timezone.now())
        deliver_outbox()
        assert alert_emails() == []
        assert alert_rows(alert).get().status == Message.Status.SKIPPED

    def test_no_alert_no_email(self, deliver_outbox, patient, therapist):
        alerts.evaluate(rated(patient, therapist, 9, 9, 9, 9))
        alerts.evaluate(rated(patient, therapist, 0, 0, 0, 0, days_ago=2, visibility="private"))
        assert not Message.objects.filter(kind=ALLIANCE_ALERT).exists()
        deliver_outbox()
        assert mail.outbox == []

    def test_a_withdrawn_alert_sends_nothing(self, deliver_outbox, patient, therapist):
        feedback = rated(patient, therapist, 2, 9, 9, 9)
        alerts.evaluate(feedback)
        feedback.bond = 9
        feedback.save()
        alerts.evaluate(feedback)
        deliver_outbox()
        assert alert_emails() == []
