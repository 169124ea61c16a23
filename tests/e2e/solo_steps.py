"""Steps a patient on their own takes in a browser, shared by the journeys that
start from nothing: signing up from the sign-in page (the confirmation link comes
through the outbox) and logging a day."""

import re
from datetime import date

from django.core import mail
from playwright.sync_api import Page, expect


def sign_up_alone(
    page: Page,
    base: str,
    deliver_outbox,
    *,
    email: str,
    first_name: str,
    zone: str = "Europe/London",
    reminder_time: str = "20:00",
) -> None:
    """From the sign-in page to home: the form (with the start an invited patient
    gets: time zone, reminder time), then the emailed confirmation link."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Choose a password").fill("quiet-river-morning-42")
    page.get_by_label("Password again").fill("quiet-river-morning-42")
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Your time zone").select_option(zone)
    page.get_by_label("Daily reminder time").fill(reminder_time)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # The dispatcher may already have sent it: it is asked for at once.
    deliver_outbox()
    [message] = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    assert link.startswith(base)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=f"Hello, {first_name}")).to_be_visible()


def log_mood(page: Page, base: str, day: date, mood: str) -> None:
    """The daily log of `day` (today, or one of the last seven to fill in), with a
    mood and nothing else."""
    page.goto(f"{base}/journal/{day.isoformat()}/")
    page.get_by_role("group", name="Mood", exact=True).get_by_text(mood, exact=True).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").get_by_text("Saved your log for")).to_be_visible()
