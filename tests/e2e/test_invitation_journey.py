import re

from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import CareLink, User
from tests.e2e.navigation import open_menu_item
from tests.factories import PASSWORD


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_therapist_invites_a_patient_who_joins_from_the_email(
    live_server, page: Page, new_phone, settings, deliver_outbox, therapist, other_therapist
):
    """GIVEN a therapist signed in on a phone
    WHEN they invite a patient, the outbox sends the invitation, and the patient opens
    the emailed link and creates an account
    THEN the patient is in that therapist's care, and nobody else's."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    page.set_default_timeout(10_000)

    sign_in(page, base, therapist.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    open_menu_item(page, "Invite a patient")
    page.get_by_label("Patient's email address").fill("robin@example.com")
    page.get_by_label("Their first name (optional)").fill("Robin")
    page.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_text(
            "Invitation to robin@example.com saved; the email goes out within a minute."
        )
    ).to_be_visible()
    expect(page.get_by_text("Invitations waiting for an answer")).to_be_visible()

    # Nothing left inside the request: the outbox sends the invitation.
    assert mail.outbox == []
    assert deliver_outbox() == 1
    [message] = mail.outbox
    link = re.search(r"https?://\S+/invite/\S+/", message.body).group(0)
    assert link.startswith(base)

    patient_phone = new_phone()
    patient_phone.goto(link)
    expect(patient_phone.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(patient_phone.get_by_label("First name")).to_have_value("Robin")
    patient_phone.get_by_label("Choose a password").fill("quiet-river-morning-42")
    patient_phone.get_by_label("Password again").fill("quiet-river-morning-42")
    patient_phone.get_by_label("Your time zone").select_option("Europe/Lisbon")
    patient_phone.get_by_label("Daily reminder time").fill("21:00")
    patient_phone.screenshot(path="test-results/invitation-accept.png", full_page=True)
    patient_phone.get_by_role("button", name="Create account").click()

    expect(patient_phone.get_by_text("Welcome, Robin.")).to_be_visible()
    expect(patient_phone.get_by_role("heading", name="Your care")).to_be_visible()
    expect(patient_phone.get_by_text("Dana Reyes").first).to_be_visible()
    robin = User.objects.get(email="robin@example.com")
    assert robin.timezone == "Europe/Lisbon"
    assert CareLink.objects.active().filter(therapist=therapist, patient=robin).exists()

    # The link is spent.
    patient_phone.goto(link)
    expect(patient_phone.get_by_text("This invitation has already been used")).to_be_visible()

    page.goto(f"{base}/patients/")
    expect(page.get_by_role("link", name="Robin")).to_be_visible()

    colleague = new_phone()
    sign_in(colleague, base, other_therapist.email)
    expect(colleague.get_by_role("heading", name="Dashboard")).to_be_visible()
    response = colleague.goto(f"{base}/patients/{robin.pk}/")
    assert response.status == 404
    expect(colleague.get_by_text("We couldn’t find that page")).to_be_visible()
    colleague.goto(f"{base}/patients/")
    expect(colleague.get_by_text("robin@example.com")).to_have_count(0)
