"""Error and account pages, in a browser (each page is also checked by axe and the
Nu HTML checker, tests/e2e/conftest.py): a therapist sets up two-factor sign-in
after typing their password once; a stale form gives back what was typed; a dead
reset link says so; ending care shows what it cancels before it does it."""

from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import CareLink
from appointments.models import Appointment
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import book_session, current_totp_code


def test_a_therapist_types_their_password_once_then_sets_up_the_app(
    live_server, page: Page, settings, therapist
):
    """GIVEN a practice that requires two-factor sign-in, and a therapist without it
    WHEN they sign in with their password
    THEN they go straight to setting up the authenticator app (no second password
    prompt), and once the app's code is entered their dashboard opens."""
    settings.REQUIRE_STAFF_MFA = True
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, therapist.email)

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm it’s you")).to_have_count(0)
    secret = page.get_by_label("Key to type in instead").input_value()
    page.get_by_label("Authenticator code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Turn on").click()

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    assert Authenticator.objects.filter(user=therapist, type="totp").exists()
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_stale_form_gives_back_what_was_typed(live_server, page: Page, patient):
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/agenda/")
    words = "How to tell my sister about the new job without it turning into a row"
    page.get_by_role("textbox").first.fill(words)
    # The form has gone stale: its CSRF cookie is gone (a browser cleared it).
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="Add to my list").click()

    expect(page.get_by_role("heading", name="That form couldn’t be sent")).to_be_visible()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    expect(page.get_by_role("textbox")).to_have_value(words)
    expect(page.get_by_role("textbox")).not_to_be_editable()
    page.get_by_role("link", name="Open the form again").click()
    expect(page).to_have_url(f"{live_server.url}/agenda/")


def test_a_dead_reset_link_says_so_and_offers_a_new_one(live_server, page: Page, db):
    page.set_default_timeout(10_000)
    response = page.goto(f"{live_server.url}/accounts/password/reset/key/1-no-such-key/")
    assert response.status == 410
    expect(
        page.get_by_role("heading", name="This link has expired or was already used")
    ).to_be_visible()
    page.get_by_role("link", name="Email me a new link").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()


def test_ending_care_shows_what_it_cancels_before_it_does(
    live_server, page: Page, therapist, patient
):
    """GIVEN a patient with a session booked
    WHEN their therapist presses "End your care" on the patient's page
    THEN a page lists that session and who is emailed, and only its button ends care."""
    session = book_session(therapist, patient, timezone.now() + timedelta(days=2))
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, therapist.email)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="End your care of Sam").click()

    expect(page.get_by_role("heading", name="End your care of Sam Patel?")).to_be_visible()
    when = session.starts_at.astimezone(therapist.zone)
    expect(
        page.get_by_role("listitem").filter(has_text=f"{when:%A %-d %B %Y, %H:%M}")
    ).to_be_visible()
    expect(page.get_by_text(f"at {patient.email}")).to_be_visible()
    assert CareLink.objects.active().filter(patient=patient).exists()

    page.get_by_role("button", name="End care and cancel 1 session").click()
    expect(
        page.get_by_text("You are no longer Sam Patel’s therapist; 1 session cancelled.")
    ).to_be_visible()
    session.refresh_from_db()
    assert session.outcome == Appointment.Outcome.CANCELLED_BY_THERAPIST
    assert not CareLink.objects.active().filter(patient=patient).exists()


def test_a_patient_is_asked_before_they_stop_seeing_their_therapist(
    live_server, page: Page, therapist, patient
):
    book_session(therapist, patient, timezone.now() + timedelta(days=2))
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, patient.email)
    page.get_by_role("link", name="Stop seeing Dana here").click()

    expect(page.get_by_role("heading", name="Stop seeing Dana Reyes here?")).to_be_visible()
    expect(page.get_by_text("Only you: one email about each cancelled session")).to_be_visible()
    page.get_by_role("link", name="Keep seeing Dana").click()
    expect(page.get_by_role("heading", name="Hello, Sam")).to_be_visible()
    assert CareLink.objects.active().filter(patient=patient).exists()
