from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Appointment, SessionSeries
from tests.e2e.navigation import open_menu_item
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import UserFactory


def test_a_patient_without_a_therapist_on_the_app_keeps_their_own_weekly_sessions(
    live_server, page: Page
):
    """GIVEN a patient whose therapist is not on the app, with last week's session
    WHEN they add a weekly session from home, move one week, cancel another, stop the
    series and say they went last week
    THEN their list shows the next weeks with the name they typed, the moved one at
    its new time, the cancelled ones under Earlier, last week's as attended, and home
    offers to add a session again."""
    patient = UserFactory(first_name="Robin", last_name="Hale", timezone="Europe/London")
    # Last week's session, added earlier: it has started, so they can say if they went.
    last_week = timezone.now() - timedelta(days=6, hours=1)
    Appointment.objects.create(
        patient=patient,
        therapist_name="Ines",
        starts_at=last_week,
        ends_at=last_week + timedelta(minutes=50),
    )
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)

    page.get_by_role("link", name="Add a session").click()  # on the home page
    first = timezone.localdate(timezone=patient.zone) + timedelta(days=2)
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("Length").select_option("50")
    page.get_by_label("Who it’s with").fill("Ines")
    page.get_by_label("In person").check()
    page.get_by_label("Place or video link").fill("12 Mill Lane")
    page.get_by_label("Every week").check()
    page.get_by_role("button", name="Add session").click()

    expect(page.get_by_text("It repeats every week")).to_be_visible()
    expect(page.get_by_role("heading", name="Your sessions")).to_be_visible()
    upcoming = page.locator("ul.list-group").first.locator("li")
    expect(upcoming).to_have_count(8)
    for week in (0, 1, 7):
        day = first + timedelta(weeks=week)
        expect(upcoming.get_by_text(f"{day:%A} {day.day} {day:%B}, 18:00")).to_be_visible()
    expect(upcoming.get_by_text("with Ines")).to_have_count(8)
    started = SessionSeries.objects.get(patient=patient)

    # Move the second week to the morning after.
    second = first + timedelta(weeks=1)
    page.get_by_role(
        "link", name=f"Change or cancel the session on {second:%A} {second.day}"
    ).click()
    page.get_by_label("Date").fill((second + timedelta(days=1)).isoformat())
    page.get_by_label("Start time").fill("08:30")
    page.get_by_role("button", name="Save changes").click()
    moved_to = second + timedelta(days=1)
    expect(
        upcoming.get_by_text(f"{moved_to:%A} {moved_to.day} {moved_to:%B}, 08:30")
    ).to_be_visible()
    moved = started.sessions.get(occurrence=1)
    assert moved.sequence == 1

    # Cancel the third week.
    third = first + timedelta(weeks=2)
    page.get_by_role("link", name=f"Change or cancel the session on {third:%A} {third.day}").click()
    page.get_by_role("button", name="Cancel this session").click()
    expect(page.get_by_text(f"Cancelled your session on {third:%A} {third.day}")).to_be_visible()
    expect(upcoming).to_have_count(7)
    cancelled = started.sessions.get(occurrence=2)
    assert cancelled.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    earlier = page.locator("ul.list-group").nth(1)
    expect(earlier.get_by_text("Cancelled by patient")).to_be_visible()

    # Stop the series: the page says what it cancels before anything happens.
    fourth = first + timedelta(weeks=3)
    page.get_by_role(
        "link", name=f"Change or cancel the session on {fourth:%A} {fourth.day}"
    ).click()
    page.get_by_role("link", name="Stop the repeating sessions").click()
    expect(page.get_by_text("7 sessions still to come will be cancelled")).to_be_visible()
    page.get_by_role("button", name="Stop and cancel 7 sessions").click()
    expect(
        page.get_by_text("Stopped the repeating sessions; 7 sessions cancelled.")
    ).to_be_visible()
    expect(upcoming).to_have_count(1)
    expect(upcoming.get_by_text("No sessions booked.")).to_be_visible()
    earlier.get_by_role("button", name="I went").click()
    expect(page.get_by_text("Recorded that you went.")).to_be_visible()
    expect(earlier.get_by_text("Attended", exact=True)).to_be_visible()
    open_menu_item(page, "Today")
    expect(page.get_by_text("No session coming up.")).to_be_visible()
