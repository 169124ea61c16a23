"""The summary review in a browser: ticks saved as they happen and the preview
following them, a section's tick governing its items, the same with JavaScript off,
and the patient's print view on paper."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from prep import summaries
from prep.models import PreSessionSummary
from tests.e2e.conftest import PHONE
from tests.e2e.test_invitation_journey import sign_in
from tests.e2e.test_summary_journey import assert_every_page_says_who_when_and_which, open_items
from tests.factories import AgendaItemFactory, AppointmentFactory, DailyEntryFactory


@pytest.fixture
def appointment(therapist, patient):
    today = patient.today()
    for days_ago in range(1, 14):
        DailyEntryFactory(
            patient=patient, day=today - timedelta(days=days_ago), mood=days_ago % 10,
            discuss_next_session=days_ago % 4 == 0, thoughts=f"What happened {days_ago} days ago",
        )  # fmt: skip
    for n in range(12):
        AgendaItemFactory(patient=patient, text=f"Topic number {n}")
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    summaries.generate_draft(appointment)
    return appointment


def test_unticking_a_section_disables_its_items_and_the_preview_follows(
    live_server, page: Page, patient, appointment
):
    """GIVEN the review page with the agenda's items unfolded
    WHEN the patient unticks the agenda with the keyboard
    THEN, saved without pressing anything, its items are unticked and disabled, the
    preview no longer shows them, focus stays where it was and the list stays open;
    ticked again, they all come back."""
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/sessions/{appointment.pk}/summary/")
    preview = page.locator("#summary-preview")
    expect(preview.get_by_text("Topic number 3")).to_be_visible()
    open_items(page, "agenda")
    items = page.locator("#items-agenda input[type=checkbox]")

    section = page.get_by_label("What you want to talk about")
    section.focus()
    page.keyboard.press("Space")
    expect(page.locator("#choices-status")).to_have_text(
        "Saved. Nothing is shared until you press Share."
    )
    expect(preview.get_by_text("Topic number 3")).to_have_count(0)
    expect(page.locator("#count-agenda")).to_have_text("not shared")
    for n in range(items.count()):
        expect(items.nth(n)).to_be_disabled()
        expect(items.nth(n)).not_to_be_checked()
    expect(section).to_be_focused()
    expect(page.locator("details:has(#items-agenda)")).to_have_attribute("open", "")
    draft = PreSessionSummary.objects.get(version=0)
    assert "section:agenda" in draft.hidden

    page.keyboard.press("Space")
    expect(preview.get_by_text("Topic number 3")).to_be_visible()
    expect(page.locator("#count-agenda")).to_have_text("12 of 12 shared")
    expect(items.first).to_be_enabled()

    # One item out: the rest of the boxes are left as they are while it saves.
    page.get_by_label("Topic number 5").uncheck()
    expect(preview.get_by_text("Topic number 5")).to_have_count(0)
    expect(page.locator("#count-agenda")).to_have_text("11 of 12 shared")
    expect(page.get_by_label("Topic number 5")).to_be_focused()


def test_without_javascript_save_updates_the_preview(live_server, browser, patient, appointment):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server.url, patient.email)
        page.goto(f"{live_server.url}/sessions/{appointment.pk}/summary/")
        open_items(page, "agenda")
        page.get_by_label("Topic number 7").uncheck()
        page.get_by_label("What you want to talk about").uncheck()  # one press for both
        page.get_by_role("button", name="Save my choices").click()
        expect(page.get_by_text("Saved your choices. Nothing has been shared yet.")).to_be_visible()
        preview = page.locator("#summary-preview")
        expect(preview.get_by_text("Topic number 1", exact=True)).to_have_count(0)
        expect(page.locator("#count-agenda")).to_have_text("not shared")
        open_items(page, "agenda")
        expect(page.get_by_label("Topic number 1", exact=True)).to_be_disabled()

        page.get_by_label("What you want to talk about").check()
        page.get_by_role("button", name="Save my choices").click()
        expect(preview.get_by_text("Topic number 1", exact=True)).to_be_visible()
        expect(preview.get_by_text("Topic number 7")).to_have_count(0)  # kept its own choice
    finally:
        context.close()


def test_the_patients_print_view_prints_what_would_be_shared_on_numbered_pages(
    live_server, page: Page, patient, appointment
):
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, patient.email)
    page.goto(f"{live_server.url}/sessions/{appointment.pk}/summary/")
    page.get_by_role("link", name="Print what you’d share").click()
    expect(page.get_by_role("heading", name="Your summary, as Dana will see it")).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    pdf = page.pdf(format="A4")
    assert_every_page_says_who_when_and_which(pdf, patient.display_name)
    text = "".join(printed.extract_text() for printed in PdfReader(io.BytesIO(pdf)).pages)
    assert "Topic number 11" in text
    assert "Back to your summary" not in text
    assert not re.search(r"\bPrint\b", text)
