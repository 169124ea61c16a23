import re
from datetime import datetime, timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import NOTHING_ANSWERED, AllianceAlert, SessionFeedback
from feedback.questions import QUESTIONS
from tests.e2e.test_invitation_journey import open_menu_item, sign_in
from tests.factories import AppointmentFactory, AttendedAppointmentFactory

COMMENT = "When I talked about work you moved on to the homework quite fast"
REPLY = "Thank you — let's talk about it on Tuesday"
PRIVATE = "I sometimes dread coming and I have not said so"


def on_the_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def card_name(appointment, patient) -> str:
    local = appointment.starts_at.astimezone(patient.zone)
    return f"How did your session on {local:%A} {local.day} {local:%B} feel?"


def visit(page: Page, base: str, name: str, *args) -> None:
    response = page.goto(f"{base}{reverse(name, args=args)}")
    assert response is not None and response.status == 200, name


def shows_nothing_private(page: Page) -> None:
    html = page.content()
    assert PRIVATE not in html, page.url
    assert "dread" not in html, page.url


def test_a_patient_says_how_a_session_felt_and_the_therapist_reads_and_replies(
    live_server, page: Page, new_phone, settings, deliver_outbox, patient, therapist
):
    """GIVEN a session that ended three hours ago, and an attended one nine days ago
    WHEN the therapist records attendance, the patient is asked, cannot send the form
    untouched, rates feeling heard a 5 (and nothing else) with a comment and asks to
    talk about it, rates the earlier session low but
    keeps that private, and the therapist replies
    THEN the therapist sees "Feedback to read" until they mark it read, the patient
    sees the reply, the next summary brings the relationship up, and the private
    feedback appears on no page the therapist opens."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    page.set_default_timeout(10_000)
    now = timezone.now()
    earlier = AttendedAppointmentFactory(
        therapist=therapist, patient=patient, starts_at=on_the_hour(now - timedelta(days=9))
    )
    session = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=on_the_hour(now - timedelta(hours=3))
    )
    upcoming = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=on_the_hour(now + timedelta(days=2))
    )

    # The therapist records that the session took place.
    sign_in(page, base, therapist.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("region", name="Feedback to read")).to_have_count(0)
    shows_nothing_private(page)
    attendance = page.get_by_role("region", name="How did these sessions go?")
    attendance.get_by_label(f"Attendance for {patient.display_name}").select_option(
        label="Attended"
    )
    attendance.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded: Attended.")).to_be_visible()

    # The outbox sends the request for feedback.
    deliver_outbox()
    [request] = [
        m
        for m in mail.outbox
        if m.to == [patient.email] and "How did your session feel?" in m.subject
    ]
    assert f"{base}{reverse('feedback:give_feedback', args=[session.pk])}" in request.body

    # The patient answers from the card on their home page.
    phone = new_phone()
    sign_in(phone, base, patient.email)
    cards = phone.get_by_role("region", name=re.compile(r"^How did your session on .* feel\?$"))
    expect(cards).to_have_count(2)
    phone.get_by_role("region", name=card_name(session, patient)).get_by_role(
        "link", name="Give feedback"
    ).click()
    expect(phone.get_by_role("heading", name="How did your session feel?")).to_be_visible()
    # Nothing is chosen for them, and sent untouched the form says so and keeps nothing.
    expect(phone.locator("input[type=radio]:checked")).to_have_count(0)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("alert")).to_contain_text(NOTHING_ANSWERED)
    expect(phone.get_by_text("Choose who sees this feedback.")).to_be_visible()
    assert not SessionFeedback.objects.exists()
    # They answer only the first question, and choose who sees it.
    phone.get_by_role("group", name=QUESTIONS["bond"]).get_by_text("5", exact=True).click()
    phone.get_by_label("What would make our sessions better?").fill(COMMENT)
    phone.get_by_label("I’d like to talk about our relationship next time").check()
    phone.get_by_label("Share with my therapist").check()
    phone.screenshot(path="test-results/feedback-form.png", full_page=True)
    phone.get_by_role("button", name="Send").click()
    expect(
        phone.get_by_text("Thank you. Your feedback is saved and shared with Dana Reyes.")
    ).to_be_visible()
    feedback = SessionFeedback.objects.get(appointment_id=session.pk)
    assert (feedback.bond, feedback.goals, feedback.approach, feedback.overall) == (
        5,
        None,
        None,
        None,
    )
    assert feedback.discuss_next_time

    # Then, from the card still waiting, low ratings on the earlier session, kept private.
    open_menu_item(phone, "Today")
    expect(cards).to_have_count(1)
    phone.get_by_role("region", name=card_name(earlier, patient)).get_by_role(
        "link", name="Give feedback"
    ).click()
    for question in QUESTIONS.values():
        phone.get_by_role("group", name=question).get_by_text("2", exact=True).click()
    phone.get_by_label("What would make our sessions better?").fill(PRIVATE)
    phone.get_by_label("Keep it private").check()
    phone.get_by_role("button", name="Send").click()
    expect(
        phone.get_by_text(
            "Thank you. Your feedback is saved and private: Dana Reyes does not see it."
        )
    ).to_be_visible()
    private = SessionFeedback.objects.get(appointment_id=earlier.pk)
    assert (private.visibility, private.bond, private.comment) == ("private", 2, PRIVATE)
    assert not AllianceAlert.objects.filter(feedback=private).exists()
    open_menu_item(phone, "Today")
    expect(cards).to_have_count(0)

    # The therapist reads it, replies and marks it read.
    page.reload()
    to_read = page.get_by_role("region", name="Feedback to read")
    expect(to_read).to_contain_text(patient.display_name)
    expect(to_read.get_by_role("listitem")).to_have_count(1)
    shows_nothing_private(page)
    to_read.get_by_role("link", name="Read and reply").click()
    expect(
        page.get_by_role("heading", name=f"Feedback from {patient.display_name}")
    ).to_be_visible()
    expect(page.get_by_text(COMMENT)).to_be_visible()
    expect(page.get_by_text("Feeling heard and respected rated 5")).to_be_visible()
    expect(page.get_by_text("Average 5.0 out of 10 (1 of 4 answered)")).to_be_visible()
    shows_nothing_private(page)
    page.get_by_label("A short reply (optional)").fill(REPLY)
    page.get_by_role("button", name="Mark as read").click()
    expect(page.get_by_text("Marked as read.")).to_be_visible()
    expect(page.get_by_role("region", name="Feedback to read")).to_have_count(0)
    assert AllianceAlert.objects.get().acknowledged_at is not None

    # It stays in the patient's history, which holds only what was shared.
    visit(page, base, "feedback:patient_feedback", patient.pk)
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text(COMMENT)
    expect(page.locator("tbody").get_by_role("link", name="read")).to_be_visible()
    shows_nothing_private(page)

    # The patient sees it was read, and the reply.
    open_menu_item(phone, "Feedback")
    expect(phone.get_by_text(re.compile(r"^Read by Dana Reyes on \d+ \w+\.$"))).to_be_visible()
    expect(phone.get_by_text(REPLY)).to_be_visible()

    # The next summary brings the relationship up; the private feedback is not in it.
    visit(phone, base, "prep:summary_review", upcoming.pk)
    phone.get_by_role("button", name="Prepare my summary now").click()
    relationship = phone.get_by_role("region", name="How working together feels")
    expect(relationship).to_contain_text("would like to talk about the relationship")
    expect(relationship).to_contain_text(COMMENT)
    expect(relationship.get_by_role("listitem")).to_have_count(1)
    preview = phone.locator("#summary-preview")  # what sharing sends
    expect(preview.get_by_text("I’d like to talk about how our sessions are going")).to_be_visible()
    shows_nothing_private(phone)
    phone.get_by_role("button", name="Share with Dana Reyes").click()
    expect(phone.get_by_text("Shared with Dana Reyes (version 1).")).to_be_visible()

    # The therapist reads the shared summary: the relationship item, nothing private.
    visit(page, base, "prep:summary_read", upcoming.pk)
    shared = page.get_by_role("region", name="How working together feels")
    expect(shared).to_contain_text("would like to talk about the relationship")
    expect(shared.get_by_role("listitem")).to_have_count(1)
    shows_nothing_private(page)
    visit(page, base, "prep:therapist_dashboard")
    expect(page.get_by_role("region", name="Feedback to read")).to_have_count(0)
    shows_nothing_private(page)
    for name, args in (
        ("prep:patient_detail", [patient.pk]),
        ("accounts:patient_list", []),
        ("prep:appointment_list", []),
    ):
        visit(page, base, name, *args)
        shows_nothing_private(page)
