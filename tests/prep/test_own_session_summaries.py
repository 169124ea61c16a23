"""The pre-session summary for a patient's own session (their therapist is not on
the app): prepared by the beat task before it like any other, reviewed and printed
the same way, built from the patient's own sessions. Nobody on the app receives it:
the patient may freeze a copy to send by link or PDF themselves, never automatically,
and the pages and the email say so plainly. Opening the pages changes nothing."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments import series
from appointments.models import Appointment, SessionSeries
from notifications.models import Message
from prep import summaries, tasks
from prep.emails import SUMMARY_READY
from prep.models import PrepPreference, PreSessionSummary
from tests.factories import DailyEntryFactory, UserFactory


@pytest.fixture
def solo(db):
    return UserFactory(first_name="Robin", last_name="Hale", timezone="Europe/London")


def own_session(patient, hours: float, **fields) -> Appointment:
    starts_at = (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)
    return Appointment.objects.create(
        patient=patient,
        therapist=None,
        therapist_name="Ines",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **fields,
    )


def test_the_beat_task_prepares_a_draft_and_emails_the_patient(solo, deliver_outbox):
    session = own_session(solo, 30)
    DailyEntryFactory(patient=solo, day=solo.today(), mood=6)
    assert tasks.prepare_upcoming_summaries() == 1
    draft = summaries.draft_for(session)
    assert draft.snapshot["therapist_name"] == "Ines"
    assert draft.snapshot["overview"]["logged"] == 1
    deliver_outbox()
    [ready] = mail.outbox
    assert ready.to == [solo.email]
    assert "your session with Ines" in ready.body
    assert "no one on Between Sessions receives it" in ready.body
    assert "Nothing is shared until you choose" not in ready.body


def test_choosing_to_share_automatically_shares_nothing_for_an_own_session(solo):
    PrepPreference.objects.create(patient=solo, share_automatically=True)
    session = own_session(solo, 30)
    tasks.prepare_upcoming_summaries()
    assert not PreSessionSummary.objects.filter(version__gt=0).exists()
    assert Message.objects.filter(kind=SUMMARY_READY, target_id=session.pk).exists()


def test_the_summary_counts_the_patients_own_past_sessions(solo, therapist):
    own_session(solo, -24 * 7, outcome=Appointment.Outcome.ATTENDED)
    own_session(solo, -24 * 14, outcome=Appointment.Outcome.NO_SHOW)
    Appointment.objects.create(
        patient=solo,
        therapist=therapist,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(minutes=50),
        outcome=Appointment.Outcome.ATTENDED,
    )
    session = own_session(solo, 30)
    draft = summaries.generate_draft(session)
    assert [row["outcome"] for row in draft.snapshot["attendance"]] == [
        "Attended",
        "Did not attend",
    ]
    # Recording attendance later makes the draft out of date (prep/freshness.py).
    inputs = summaries.inputs_of(session)
    Appointment.objects.filter(patient=solo, outcome=Appointment.Outcome.NO_SHOW).update(
        outcome=Appointment.Outcome.ATTENDED, sequence=1
    )
    assert summaries.inputs_of(session) != inputs


def test_the_review_page_says_no_one_receives_it_and_offers_print_and_a_copy(client, solo):
    session = own_session(solo, 30)
    summaries.generate_draft(session)
    client.force_login(solo)
    page = client.get(reverse("prep:summary_review", args=[session.pk])).content.decode()
    assert "With Ines on" in page
    assert "no one on Between Sessions receives it" in page
    assert "Print your summary" in page
    assert "Freeze a copy to share" in page and "Still no one on Between Sessions" in page
    assert "Your frozen copies" in page and "None yet." in page
    for promise in ("will see", "Share with", "Nothing is shared until", "Shared so far"):
        assert promise not in page, promise
    printed = client.get(reverse("prep:summary_print", args=[session.pk])).content.decode()
    assert "Session with Ines" in printed and "will see it" not in printed


def test_freezing_a_copy_keeps_what_was_left_in_and_sends_nothing(client, solo, deliver_outbox):
    session = own_session(solo, 30)
    DailyEntryFactory(patient=solo, day=solo.today(), mood=6)
    summaries.generate_draft(session)
    client.force_login(solo)
    url = reverse("prep:summary_choices", args=[session.pk])
    # Only the overview left in: the same redaction as sharing with a therapist.
    response = client.post(url, {"action": "share", "show": ["section:overview"]}, follow=True)
    [frozen] = PreSessionSummary.objects.filter(version__gt=0)
    assert frozen.version == 1 and frozen.status == PreSessionSummary.Status.SHARED
    assert frozen.snapshot["overview"]["logged"] == 1
    assert not frozen.snapshot.get("series")
    links_page = reverse("prep:summary_links", args=[session.pk, 1])
    assert response.redirect_chain[-1][0] == links_page
    page = response.content.decode()
    assert "Frozen as version 1. Nobody on Between Sessions receives it" in page
    assert "your session with Ines" in page and "will see" not in page
    # Pressed again on an unchanged summary: still the one copy.
    client.post(url, {"action": "share", "show": ["section:overview"]})
    assert PreSessionSummary.objects.filter(version__gt=0).count() == 1
    review = client.get(reverse("prep:summary_review", args=[session.pk])).content.decode()
    assert "Version 1, frozen" in review and links_page in review
    for promise in ("will see", "Share with", "Shared so far", "Who opened it"):
        assert promise not in review, promise
    # Nobody is told: no email leaves about it, to anyone.
    assert not Message.objects.exclude(kind=SUMMARY_READY).exists()
    deliver_outbox()
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["other_patient", "therapist", "manager"])
def test_no_one_else_reaches_its_frozen_copy(client, solo, people, who):
    session = own_session(solo, 30)
    summaries.generate_draft(session)
    summaries.share(session)
    client.force_login(people[who])
    for name in ("summary_links", "summary_pdf"):
        assert client.get(reverse(f"prep:{name}", args=[session.pk, 1])).status_code == 404
    assert client.get(reverse("prep:summary_read", args=[session.pk])).status_code == 404


def test_the_patient_prepares_one_on_demand(client, solo):
    session = own_session(solo, 24 * 5)
    client.force_login(solo)
    client.post(reverse("prep:summary_generate", args=[session.pk]))
    assert summaries.draft_for(session) is not None


@pytest.mark.parametrize("who", ["other_patient", "therapist", "manager"])
def test_no_one_else_reaches_its_summary(client, solo, people, who):
    session = own_session(solo, 30)
    summaries.generate_draft(session)
    client.force_login(people[who])
    for name in ("summary_review", "summary_print"):
        assert client.get(reverse(f"prep:{name}", args=[session.pk])).status_code == 404
    assert client.get(reverse("prep:summary_read", args=[session.pk])).status_code == 404


def _state() -> dict:
    models = [
        apps.get_model(label)
        for label in (
            "appointments.Appointment",
            "appointments.SessionSeries",
            "notifications.Message",
            "prep.PreSessionSummary",
            "core.SubmissionToken",
        )
    ]
    return {model: list(model.objects.order_by("pk").values()) for model in models}


def test_opening_the_own_session_pages_writes_nothing(client, solo):
    started = SessionSeries.objects.create(
        patient=solo,
        therapist_name="Ines",
        every_weeks=2,
        first_starts_at=timezone.now() + timedelta(days=1),
        timezone="Europe/London",
    )
    series.materialise(started)
    session = started.sessions.get(occurrence=0)
    summaries.generate_draft(session)
    DailyEntryFactory(patient=solo, day=solo.today(), mood=3)  # the draft is now stale
    own_session(solo, -3)  # started, nothing recorded
    client.force_login(solo)
    before = _state()
    for url in (
        reverse("prep:session_list"),
        reverse("prep:patient_home"),
        reverse("appointments:own_session_new"),
        reverse("appointments:own_session_edit", args=[session.pk]),
        reverse("appointments:series_stop", args=[started.pk]),
        reverse("prep:summary_review", args=[session.pk]),
        reverse("prep:summary_print", args=[session.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert _state() == before
