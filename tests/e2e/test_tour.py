"""The README's tour: the main pages of the demo, as each person sees them, on a phone
and on a desktop. Every run checks that each page opens on its own heading and fits
its screen; `make screenshots` (SCREENSHOTS_DIR set) also saves the pictures the README
shows, so they are always of the app as it is."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from appointments.models import Appointment
from prep.management.commands.seed_demo import DEMO_PASSWORD
from prep.models import SummaryLink

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def next_session(patient_email: str) -> Appointment:
    return (
        Appointment.objects.filter(patient__email=patient_email, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )


def tour() -> list[tuple[str, str, str]]:
    """(picture name, who, path) for each stop, in the order the README tells them;
    who is None for someone not signed in (the reader of a summary link)."""
    sam_next = next_session("sam@demo.example")
    alex_next = next_session("alex@demo.example")
    alex = User.objects.get(email="alex@demo.example")
    dana = "therapist@demo.example"
    robin = "robin@demo.example"
    robin_link = SummaryLink.objects.select_related("summary").get(
        summary__appointment__patient__email=robin
    )
    robin_version = [robin_link.summary.appointment_id, robin_link.summary.version]
    return [
        ("patient-home", "sam@demo.example", reverse("prep:patient_home")),
        ("daily-log", "sam@demo.example", reverse("journal:today")),
        ("trends", "sam@demo.example", reverse("journal:trends")),
        ("calendar", "sam@demo.example", reverse("journal:calendar")),
        ("summary-review", "sam@demo.example", reverse("prep:summary_review", args=[sam_next.pk])),
        ("feedback", "sam@demo.example", reverse("feedback:mine")),
        ("need-help-now", "sam@demo.example", reverse("journal:support")),
        ("therapist-dashboard", dana, reverse("prep:therapist_dashboard")),
        ("therapist-patient", dana, reverse("prep:patient_detail", args=[alex.pk])),
        ("shared-summary", dana, reverse("prep:summary_read", args=[alex_next.pk])),
        ("practice", "manager@demo.example", reverse("feedback:practice_home")),
        ("solo-sessions", robin, reverse("prep:session_list")),
        ("share-link", robin, reverse("prep:summary_links", args=robin_version)),
        ("shared-link-reader", None, reverse("prep:shared_summary", args=[robin_link.token])),
    ]  # fmt: skip


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEBUG = True  # seed_demo refuses otherwise (it publishes a password)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


@pytest.mark.parametrize("size", SIZES)
def test_the_tour_of_the_main_pages(live_server, browser, demo, size):
    out = os.environ.get("SCREENSHOTS_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
    contexts = {}
    try:
        for name, email, path in tour():
            if email not in contexts:
                context = browser.new_context(**SIZES[size])
                context.set_default_timeout(10_000)
                page = context.new_page()
                if email is not None:
                    page.goto(f"{live_server.url}/accounts/login/")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(DEMO_PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_load_state()
                contexts[email] = (context, page)
            page = contexts[email][1]
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, name
            expect(page.locator("main h1").first).to_be_visible()
            overflow = page.evaluate(
                "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size}"
            if out:
                page.screenshot(path=str(Path(out) / f"{name}-{size}.png"))
    finally:
        for context, _ in contexts.values():
            context.close()
