from playwright.sync_api import Page, expect

from journal.models import DailyEntry
from prep.models import Homework
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import HomeworkFactory


def test_a_patient_ticks_homework_off_in_the_daily_log(live_server, page: Page, patient, therapist):
    """GIVEN a patient with two pieces of homework from their therapist
    WHEN they open today's log on their phone, tick one, untick it by mistake and tick
    it again, then save the log
    THEN each tick is saved at once without leaving the page, the request carries
    nothing from the daily form, and the log itself saves as usual."""
    walk = HomeworkFactory(patient=patient, set_by=therapist, description="Walk after lunch")
    HomeworkFactory(patient=patient, set_by=therapist, description="Call Mum on Sunday")
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    page.get_by_role("link", name="Fill in the full log").click()

    checklist = page.locator("fieldset.homework-checklist")
    expect(checklist.get_by_role("checkbox")).to_have_count(2)
    page.get_by_text("Add thoughts (optional)").click()
    page.get_by_label("Thoughts (optional)").fill("A private thought")

    with page.expect_request("**/homework/*/toggle/") as ticked:
        page.get_by_role("checkbox", name="Walk after lunch").check()
    assert ticked.value.post_data == "done=1"
    expect(page.get_by_text("· done")).to_be_visible()
    walk.refresh_from_db()
    assert walk.done_at is not None

    page.get_by_role("checkbox", name="Walk after lunch").uncheck()
    expect(page.get_by_text("· done")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Walk after lunch")).not_to_be_checked()
    page.get_by_role("checkbox", name="Walk after lunch").check()
    expect(page.get_by_text("· done")).to_be_visible()
    assert list(Homework.objects.filter(done_at__isnull=False)) == [walk]

    page.screenshot(path="test-results/daily-log-homework.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved your log for today.")).to_be_visible()
    assert DailyEntry.objects.get(patient=patient).thoughts == "A private thought"
