"""Open patient sign-up, in a browser (each page is also checked by axe, the Nu HTML
checker, 44 px targets and no sideways scroll, tests/e2e/conftest.py): from the
sign-in page to home, through the emailed confirmation link."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import CareLink, User
from journal.models import Symptom


def test_someone_signs_up_alone_confirms_their_address_and_lands_home(
    live_server, page: Page, settings, deliver_outbox, therapist
):
    """GIVEN open patient sign-up and someone whose therapist isn't on the app
    WHEN they choose "Create an account" on the sign-in page, fill in the form (the
    same start as an invited patient: time zone, reminder time), and open the
    confirmation link the outbox sends
    THEN they are signed in on their home page, a patient in nobody's care, with the
    starter symptoms to log."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    page.set_default_timeout(10_000)

    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email address").fill("robin@example.com")
    page.get_by_label("Choose a password").fill("quiet-river-morning-42")
    page.get_by_label("Password again").fill("quiet-river-morning-42")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Your time zone").select_option("America/Toronto")
    page.get_by_label("Daily reminder time").fill("07:30")
    page.screenshot(path="test-results/signup.png", full_page=True)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    robin = User.objects.get(email="robin@example.com")
    assert robin.role == User.Role.PATIENT

    # The confirmation leaves through the outbox (the dispatcher may already have
    # sent it, asked for at once because someone is waiting).
    deliver_outbox()
    [message] = [m for m in mail.outbox if m.to == ["robin@example.com"]]
    assert message.subject == "[Between Sessions] Confirm your email address"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    assert link.startswith(base)

    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Hello, Robin")).to_be_visible()
    assert page.url == f"{base}/home/"
    robin.refresh_from_db()
    assert robin.timezone == "America/Toronto"
    assert robin.reminder_time.strftime("%H:%M") == "07:30"
    assert Symptom.objects.filter(patient=robin).count() == 6
    assert not CareLink.objects.filter(patient=robin).exists()

    page.goto(f"{base}/journal/")
    expect(
        page.get_by_text("Nobody is notified: your therapist isn’t on Between Sessions.")
    ).to_be_visible()
