import io
import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import AccessRecord
from journal.models import DailyEntry
from prep import summaries
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import AppointmentFactory, DailyEntryFactory, GoalFactory, HomeworkFactory


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def assert_every_page_says_who_when_and_which(pdf: bytes, name: str) -> None:
    """Each printed page carries the patient's name and the period (the table head
    the sheet repeats) and its number (the page's margin box)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    for number, printed in enumerate(pages, start=1):
        text = printed.extract_text()
        assert re.search(rf"{name} · \d+ \w+ – \d+ \w+ \d{{4}}", text), (number, text[:200])
        assert f"Page {number} of {len(pages)}" in text, (number, text[-200:])


def open_items(page: Page, section: str) -> None:
    """Unfold a section's items on the review page."""
    page.locator(f"details:has(#items-{section}) > summary").click()


def test_a_patient_reviews_and_shares_and_the_therapist_reads_and_prints(
    live_server, page: Page, new_phone, patient, therapist
):
    """GIVEN a draft summary for the patient's next session
    WHEN the patient leaves out the hardest day and one flagged day, includes their words
    for another, adds a question and shares
    THEN the therapist reads exactly that, prints it on at most two pages, the patient
    sees the opening, and later journal edits change nothing the therapist sees."""
    base = live_server.url
    today = patient.today()
    for days_ago, mood in ((1, 9), (2, 6), (4, 2), (6, 5)):
        DailyEntryFactory(patient=patient, day=today - timedelta(days=days_ago), mood=mood)
    DailyEntryFactory(
        patient=patient, day=today - timedelta(days=3), mood=4, discuss_next_session=True,
        thoughts="Felt left out at the party",
    )  # fmt: skip
    DailyEntryFactory(
        patient=patient, day=today - timedelta(days=5), mood=5, discuss_next_session=True,
        thoughts="My manager praised the report",
    )  # fmt: skip
    GoalFactory(patient=patient, title="Sleep through most nights")
    HomeworkFactory(patient=patient, description="Evening worry list")
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    summaries.generate_draft(appointment)

    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    page.get_by_role("link", name="Prepare your summary").click()
    expect(page.get_by_role("heading", name="Before your session")).to_be_visible()

    page.get_by_label("Add to the agenda").fill("Could we try meeting weekly?")
    page.locator("select[name=kind]").select_option("question")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Added to your agenda.")).to_be_visible()

    preview = page.locator("#summary-preview")
    open_items(page, "days")
    page.get_by_label(re.compile(r"^Hardest day")).uncheck()
    expect(preview.get_by_text("Hardest day:")).to_have_count(0)  # saved as it is ticked
    open_items(page, "flagged")
    flagged = page.locator("#items-flagged")
    party_day = today - timedelta(days=3)
    flagged.get_by_label(re.compile(f"^{party_day:%a} {party_day.day} {party_day:%b}")).uncheck()
    flagged.locator("li", has_text="My manager praised").get_by_label(
        "Include what you wrote"
    ).check()
    expect(preview.get_by_text("My manager praised the report")).to_be_visible()
    expect(page.locator("#count-flagged")).to_have_text("1 of 2 shared")
    page.screenshot(path="test-results/summary-review.png", full_page=True)
    page.get_by_role("button", name="Share with Dana Reyes").click()
    expect(page.get_by_text("Shared with Dana Reyes (version 1).")).to_be_visible()

    desk = new_phone()
    sign_in(desk, base, therapist.email)
    desk.get_by_role("link", name=re.compile(r"^Read shared summary")).click()
    expect(desk.get_by_role("heading", name=patient.display_name)).to_be_visible()
    body = desk.locator("article")
    expect(body.get_by_text("Best day:")).to_be_visible()
    expect(body.get_by_text("Hardest day:")).to_have_count(0)
    expect(body.get_by_text("Felt left out at the party")).to_have_count(0)
    expect(body.get_by_text("My manager praised the report")).to_be_visible()
    expect(body.get_by_text("Could we try meeting weekly?")).to_be_visible()
    desk.emulate_media(media="print")
    expect(desk.get_by_role("button", name="Print")).to_be_hidden()
    pdf = desk.pdf(format="A4")
    assert 1 <= pdf_pages(pdf) <= 2
    assert_every_page_says_who_when_and_which(pdf, patient.display_name)

    assert AccessRecord.objects.filter(viewer=therapist, kind="summary").count() == 1
    page.reload()
    expect(page.get_by_text("Opened by your therapist, Dana Reyes")).to_be_visible()

    DailyEntry.objects.filter(patient=patient).update(mood=1)
    page.get_by_role("button", name="Refresh from my journal").click()
    desk.reload()
    expect(desk.locator("article").get_by_text("mood 9")).to_be_visible()
