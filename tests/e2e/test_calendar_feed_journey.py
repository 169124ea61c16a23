"""A patient puts their sessions in their own calendar app; when the therapist moves
a session, the feed the calendar app reads follows."""

from datetime import UTC, timedelta

from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.e2e.navigation import open_menu_item
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import book_session


def the_session_in(feed_text: str, uid_prefix: str):
    [event] = [
        e
        for e in Calendar.from_ical(feed_text).walk("VEVENT")
        if str(e["UID"]).startswith(uid_prefix)
    ]
    return event


def test_a_patient_subscribes_and_the_feed_follows_a_moved_session(
    live_server, page: Page, new_phone, settings, therapist, patient
):
    """GIVEN a patient with a session booked in three days
    WHEN they make a calendar feed link on its settings page, a calendar app (not
    signed in) fetches it, and the therapist then moves the session by an hour
    THEN the next fetch shows the new time, with a higher SEQUENCE."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    starts = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    appointment = book_session(therapist, patient, starts)
    uid = f"appointment-{appointment.pk}@"
    page.set_default_timeout(10_000)

    sign_in(page, base, patient.email)
    open_menu_item(page, "Settings")
    page.get_by_role("link", name="Your sessions in your own calendar app").click()
    expect(page.get_by_role("heading", name="Your sessions in your calendar app")).to_be_visible()
    expect(page.get_by_text("Nothing you log or share")).to_be_visible()
    page.get_by_role("button", name="Make a link").click()

    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    address = page.get_by_label("Or paste this link into your calendar app").input_value()
    assert address.startswith(f"{base}/calendar-feed/") and address.endswith(".ics")
    webcal = page.get_by_role("link", name="Add to my calendar").get_attribute("href")
    assert webcal == "webcal://" + address.split("://", 1)[1]

    calendar_app = new_phone()  # no sign-in, as a calendar app fetches
    first = calendar_app.request.get(address)
    assert first.status == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    before = the_session_in(first.text(), uid)
    assert before["DTSTART"].dt == appointment.starts_at.astimezone(UTC)

    therapists_phone = new_phone()
    sign_in(therapists_phone, base, therapist.email)
    therapists_phone.goto(f"{base}/appointments/{appointment.pk}/edit/")
    later = appointment.starts_at.astimezone(therapist.zone) + timedelta(hours=1)
    therapists_phone.get_by_label("Start time").fill(later.strftime("%H:%M"))
    therapists_phone.get_by_role("button", name="Move session").click()
    expect(therapists_phone.get_by_text("Moved to")).to_be_visible()

    after = the_session_in(calendar_app.request.get(address).text(), uid)
    assert after["DTSTART"].dt == appointment.starts_at.astimezone(UTC) + timedelta(hours=1)
    assert after["SEQUENCE"] > before["SEQUENCE"]

    # Shown once: back on the page, the address is gone and the feed is on.
    page.reload()
    expect(page.get_by_text("Your calendar feed is on.")).to_be_visible()
    expect(page.get_by_label("Or paste this link into your calendar app")).to_have_count(0)
    page.get_by_role("button", name="Stop the feed").click()
    expect(page.get_by_text("Your calendar feed is stopped.")).to_be_visible()
    assert calendar_app.request.get(address).status == 404
