"""The feedback tables on a phone: stacked rows, so the therapist reads the comment
and the "sent to the practice manager" badge at 390 px (and 320 px, a 1280 px
screen at 400 % zoom) without scrolling sideways, and so does the manager."""

from datetime import timedelta

from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.test_invitation_journey import sign_in
from tests.factories import AllianceAlertFactory, EscalationFactory, SessionFeedbackFactory

COMMENT = (
    "When I talked about work you moved on to the homework quite fast, and I did not "
    "feel I could say so at the time"
)
BADGE = "Also sent to the practice manager"


def scrolls_sideways(page: Page) -> int:
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


def within_the_screen(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    )


def test_the_therapist_reads_comment_and_badge_without_sideways_scroll(
    live_server, page: Page, patient, therapist, manager
):
    page.set_default_timeout(10_000)
    feedback = SessionFeedbackFactory(
        patient=patient, therapist=therapist, bond=4, goals=None, comment=COMMENT
    )
    AllianceAlertFactory(feedback=feedback)
    EscalationFactory(feedback=feedback, therapist_may_know=True)
    SessionFeedbackFactory(
        patient=patient,
        therapist=therapist,
        session_at=feedback.session_at - timedelta(days=7),
        visibility="scores",
    )

    sign_in(page, live_server.url, therapist.email)
    page.goto(live_server.url + reverse("feedback:patient_feedback", args=[patient.pk]))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 844})
        assert scrolls_sideways(page) == 0, width
        comment = page.get_by_text(COMMENT)
        badge = page.get_by_text(BADGE)
        for shown in (comment, badge):
            shown.scroll_into_view_if_needed()
            expect(shown).to_be_visible()
            assert within_the_screen(page, shown), width
        # Each value says which question it answers: the column names lead the cells.
        expect(rows.first.locator('td[data-label="What matters"]')).to_contain_text("not answered")
        assert (
            rows.first.locator('td[data-label="Heard"]').evaluate(
                "cell => getComputedStyle(cell, '::before').content"
            )
            == '"Heard: "'
        )

    page.context.clear_cookies()
    sign_in(page, live_server.url, manager.email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("feedback:practice_home"))
    expect(page.get_by_role("heading", name="Practice")).to_be_visible()
    assert scrolls_sideways(page) == 0
    counts = page.get_by_role("row").filter(has_text=therapist.display_name)
    expect(counts.get_by_role("cell", name="Read within 7 days: 0")).to_be_visible()
    assert within_the_screen(page, counts.get_by_role("cell", name="Read within 7 days: 0"))
