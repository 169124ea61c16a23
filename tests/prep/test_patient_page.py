"""The therapist's page about one patient gathers their sessions (with outcomes and
confirmations), shared summaries, questionnaire scores (only if the patient shares
them), the feedback the patient shares with this therapist (by the same rules as the
feedback page), goals and homework, and safety alerts with a way to reach them. It
is the patient's therapist's alone, and costs the same queries however long the
history."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessRecord
from appointments.models import Appointment
from journal.models import SafetyAlert, SafetyContact
from prep.models import PreSessionSummary
from tests.conftest import PEOPLE, assert_access
from tests.factories import (
    AppointmentFactory,
    AttendedAppointmentFactory,
    DailyEntryFactory,
    EscalationFactory,
    GoalFactory,
    HomeworkFactory,
    MeasureResponseFactory,
    SessionFeedbackFactory,
)


def page_url(patient) -> str:
    return reverse("prep:patient_detail", args=[patient.pk])


def open_page(client, therapist, patient) -> str:
    client.force_login(therapist)
    response = client.get(page_url(patient))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, name: str) -> str:
    return page.split(f'id="{name}-heading"')[1].split("</section>")[0]


def share_summary(appointment) -> PreSessionSummary:
    day = appointment.starts_at.date()
    return PreSessionSummary.objects.create(
        appointment=appointment,
        status=PreSessionSummary.Status.SHARED,
        version=1,
        period_start=day - timedelta(days=13),
        period_end=day,
        snapshot={"secret": "Zebraquill snapshot words"},
        shared_at=appointment.starts_at - timedelta(days=1),
    )


# Who may ------------------------------------------------------------------------


@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_patients_therapist_opens_it(client, people, patient, person):
    expected = 200 if person == "therapist" else 404
    assert_access(client, people[person], "get", page_url(patient), expected)


def test_it_closes_when_care_ends_and_answers_404_for_a_made_up_id(client, therapist, patient):
    client.force_login(therapist)
    assert client.get(reverse("prep:patient_detail", args=[987654])).status_code == 404
    patient.therapist_links.update(ended_at=timezone.now())
    assert client.get(page_url(patient)).status_code == 404


def test_opening_it_records_one_read_and_writes_nothing_else(client, therapist, patient):
    patient.shares_overview = True
    patient.save()
    MeasureResponseFactory(patient=patient)
    client.force_login(therapist)
    client.get(page_url(patient))
    [read] = AccessRecord.objects.all()
    assert (read.viewer, read.patient, read.kind) == (therapist, patient, "patient_page")


# What it gathers ------------------------------------------------------------------


def test_sessions_to_come_and_earlier_with_outcome_and_confirmation(client, therapist, patient):
    now = timezone.now()
    AppointmentFactory(therapist=therapist, patient=patient, confirmed_at=now)
    AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=now + timedelta(days=5),
        kind=Appointment.Kind.VIDEO,
        location="https://video.example/room-7",
    )
    AttendedAppointmentFactory(therapist=therapist, patient=patient, confirmed_at=now)
    AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=now - timedelta(days=8),
        outcome=Appointment.Outcome.NO_SHOW,
    )
    sessions = section(open_page(client, therapist, patient), "sessions")
    coming, earlier = sessions.split("Earlier</h3>")
    assert "Confirmed they’ll be there" in coming and "Not confirmed yet" in coming
    assert 'href="https://video.example/room-7"' in coming
    assert "Attended" in earlier and "Had confirmed" in earlier
    assert "Did not attend" in earlier and "Had not confirmed" in earlier
    assert f"{reverse('prep:appointment_list')}?show=past&amp;patient={patient.pk}" in sessions


def test_shared_summaries_are_links_and_their_words_stay_on_their_page(
    client, therapist, patient, other_therapist
):
    session = AttendedAppointmentFactory(therapist=therapist, patient=patient)
    share_summary(session)
    share_summary(AttendedAppointmentFactory(therapist=other_therapist, patient=patient))
    summaries = section(open_page(client, therapist, patient), "summaries")
    assert summaries.count('class="btn btn-sm btn-primary"') == 1
    assert reverse("prep:summary_read", args=[session.pk]) in summaries
    assert "Zebraquill" not in summaries


def test_scores_and_the_week_only_when_the_patient_shares_them(client, therapist, patient):
    DailyEntryFactory(patient=patient, mood=7, thoughts="Owlfennel private words")
    for total, days in ((20, 30), (12, 16), (11, 2)):
        MeasureResponseFactory(
            patient=patient, total=total, taken_at=timezone.now() - timedelta(days=days)
        )
    hidden = section(open_page(client, therapist, patient), "scores")
    assert "has not chosen to share" in hidden
    assert "20" not in hidden and "Logged" not in hidden

    patient.shares_overview = True
    patient.save()
    page = open_page(client, therapist, patient)
    shared = section(page, "scores")
    assert "Logged 1 of the last 7 days" in shared
    assert shared.count('<tr><th scope="row">') == 3
    assert "reliable change, better" in shared  # 20 → 12
    assert "Owlfennel" not in page  # the journal's words never


def test_feedback_by_the_feedback_pages_rules(client, therapist, patient, other_therapist):
    """GIVEN feedback shared in full, shared as scores only, kept private, about
    another therapist, and escalated with and without leave to tell
    THEN the page shows the comment only where shared, nothing private or about
    someone else, and the escalation only where the patient allowed it."""
    day = timezone.now() - timedelta(days=1)

    def feedback(days, **kwargs):
        return SessionFeedbackFactory(
            patient=patient, therapist=therapist, session_at=day - timedelta(days=days), **kwargs
        )

    feedback(0, comment="Felt heard today", visibility="shared")
    feedback(1, comment="Scores-only words", visibility="scores")
    feedback(2, comment="Private words", visibility="private")
    SessionFeedbackFactory(patient=patient, therapist=other_therapist, comment="About someone else")
    EscalationFactory(
        feedback=feedback(3, comment="x", visibility="scores"), therapist_may_know=False
    )
    told = section(open_page(client, therapist, patient), "feedback")
    assert "Felt heard today" in told
    assert "Scores-only words" not in told and "Scores only." in told
    assert "Private words" not in told and "About someone else" not in told
    assert "practice manager" not in told
    EscalationFactory(feedback=feedback(4, visibility="shared"), therapist_may_know=True)
    assert "Also sent to the practice manager." in section(
        open_page(client, therapist, patient), "feedback"
    )


def test_goals_homework_and_alerts_with_a_way_to_reach_them(client, therapist, patient):
    GoalFactory(patient=patient, title="Walk to work twice a week")
    HomeworkFactory(patient=patient, description="Note one good moment")
    HomeworkFactory(patient=patient, description="Done already", done_at=timezone.now())
    alert = SafetyAlert.objects.create(patient=patient, source=SafetyAlert.Source.DAILY_LOG)
    SafetyContact.objects.create(
        alert=alert, therapist=therapist, contacted_at=timezone.now(), note="Phoned"
    )
    page = open_page(client, therapist, patient)
    plan = section(page, "plan")
    assert "Walk to work twice a week" in plan and "(Working on it)" in plan
    assert "Note one good moment" in plan and "Done already" not in plan
    alerts = section(page, "alerts")
    assert "1 contact recorded." in alerts and "Not marked as seen." in alerts
    assert reverse("journal:safety_alert", args=[alert.pk]) in alerts
    assert "None given" in page
    patient.phone = "07700 900123"
    patient.save()
    assert '<a href="tel:07700900123">07700 900123</a>' in open_page(client, therapist, patient)


def test_it_costs_the_same_queries_however_long_the_history(
    client, therapist, patient, django_assert_max_num_queries
):
    patient.shares_overview = True
    patient.save()

    def history(days_ago):
        session = AttendedAppointmentFactory(
            therapist=therapist,
            patient=patient,
            starts_at=timezone.now() - timedelta(days=days_ago),
            confirmed_at=timezone.now(),
        )
        share_summary(session)
        AppointmentFactory(
            therapist=therapist,
            patient=patient,
            starts_at=timezone.now() + timedelta(days=days_ago),
        )
        SessionFeedbackFactory.for_session(session)
        MeasureResponseFactory(patient=patient, taken_at=session.starts_at)
        GoalFactory(patient=patient)
        HomeworkFactory(patient=patient)
        DailyEntryFactory(patient=patient, day=patient.today() - timedelta(days=days_ago))
        alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
        SafetyContact.objects.create(
            alert=alert, therapist=therapist, contacted_at=timezone.now(), note="Phoned"
        )

    client.force_login(therapist)
    history(1)
    with django_assert_max_num_queries(14) as few:
        client.get(page_url(patient))
    for days_ago in range(2, 40):
        history(days_ago)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(page_url(patient)).content.decode()
    assert section(page, "summaries").count("btn-primary") == 10
