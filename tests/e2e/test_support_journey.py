"""Help one tap away, on a phone: "Need help now" shows in the header of every
patient page and of the sign-in page without opening the menu, and one tap opens the
support page, whose numbers are tap-to-call links. After a PHQ-9 safety answer a
patient with no therapist is told nobody was told."""

from playwright.sync_api import Page, expect

from accounts.models import User
from journal.models import SafetyAlert
from notifications.models import Message
from tests.e2e.navigation import phone_menu
from tests.e2e.test_invitation_journey import sign_in
from tests.factories import UserFactory


def assert_a_44px_target_in_view(page: Page, name: str) -> None:
    link = page.get_by_role("link", name=name, exact=True)
    expect(link).to_be_visible()
    expect(link).to_be_in_viewport()
    box = link.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    assert box["x"] + box["width"] <= 390, box  # on screen, not pushed off the side


def test_from_the_patient_home_one_tap_shows_numbers_to_call(
    live_server, page: Page, patient, therapist
):
    """GIVEN a signed-in patient on their home page, on a phone, the menu closed
    WHEN they tap "Need help now" once
    THEN the support page shows, every number a tel: link (a text number an sms:
    link), and nothing was recorded or sent."""
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    expect(phone_menu(page)).to_be_visible()
    assert phone_menu(page).get_attribute("open") is None  # the menu closed
    assert_a_44px_target_in_view(page, "Need help now")
    page.screenshot(path="test-results/help-link-home.png")

    page.get_by_role("link", name="Need help now", exact=True).tap()

    expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
    calls = page.locator('a[href^="tel:"]')
    expect(calls).to_have_count(5)
    assert [calls.nth(n).get_attribute("href") for n in range(5)] == [
        "tel:999", "tel:112", "tel:911", "tel:116123", "tel:988",
    ]  # fmt: skip
    expect(page.locator('a[href^="sms:"]')).to_have_attribute("href", "sms:988")
    for n in range(5):
        box = calls.nth(n).bounding_box()
        assert box["height"] >= 44, box
    page.screenshot(path="test-results/support-page.png", full_page=True)
    assert not SafetyAlert.objects.exists()
    assert not Message.objects.exists()


def test_signed_out_the_sign_in_page_leads_to_help(live_server, page: Page):
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    assert_a_44px_target_in_view(page, "Need help now")
    page.get_by_role("link", name="Need help now", exact=True).tap()
    expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
    expect(page.get_by_role("link", name="Call 116 123")).to_have_attribute("href", "tel:116123")
    page.get_by_role("link", name="Back to sign in").tap()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_patient_with_no_therapist_is_told_the_truth_after_phq9(live_server, page: Page, db):
    """GIVEN a patient with no therapist linked
    WHEN they answer PHQ-9 item 9 above 0
    THEN the page says nobody was told and why, shows the numbers, and no email waits."""
    alone = UserFactory(first_name="Robin", last_name="Hale", role=User.Role.PATIENT)
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, alone.email)
    page.goto(f"{base}/journal/measures/phq9/new/")
    for number in range(1, 10):
        answer = "More than half the days" if number == 9 else "Not at all"
        page.get_by_role("group", name=f"{number}.").get_by_label(answer, exact=True).check()
    page.get_by_role("button", name="Save my answers").click()

    expect(page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Nobody has been notified")).to_contain_text(
        "Your therapist isn’t on Between Sessions, so no one here is told"
    )
    expect(page.get_by_text("asked your therapist")).to_have_count(0)
    expect(page.locator('a[href^="tel:"]').first).to_be_visible()
    page.screenshot(path="test-results/support-nobody-told.png", full_page=True)
    assert SafetyAlert.objects.filter(patient=alone).count() == 1
    assert not Message.objects.exists()
