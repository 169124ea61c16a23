import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import CareLink
from appointments.models import Appointment
from prep import summaries
from tests.e2e.navigation import open_menu_item
from tests.factories import PASSWORD, AppointmentFactory, UserFactory


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def own_session(patient, name: str, days: int, **fields) -> Appointment:
    starts_at = (timezone.now() + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    return AppointmentFactory(
        patient=patient, therapist=None, therapist_name=name, starts_at=starts_at, **fields
    )


def test_a_patient_who_kept_sessions_alone_brings_them_into_care(
    live_server, page: Page, new_phone, settings, deliver_outbox, therapist
):
    """GIVEN Robin, who kept their own sessions here (two with Dana, one shared
    summary; one with someone else)
    WHEN Dana invites Robin's address, and Robin signs in, accepts and brings the
    sessions with Dana into their care
    THEN Dana sees those sessions, and opens the shared summary; the other stays
    Robin's alone."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    page.set_default_timeout(10_000)

    robin = UserFactory(first_name="Robin", last_name="Quinn", email="robin@example.com")
    with_dana = own_session(robin, "Dana Reyes", -3, outcome=Appointment.Outcome.ATTENDED)
    next_with_dana = own_session(robin, "Dana Reyes", 4)
    with_someone_else = own_session(robin, "Dr Okafor", -5, outcome=Appointment.Outcome.ATTENDED)
    summaries.generate_draft(with_dana)
    summaries.share(with_dana)

    # Dana invites Robin's address.
    sign_in(page, base, therapist.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    open_menu_item(page, "Invite a patient")
    page.get_by_label("Patient's email address").fill(robin.email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation to {robin.email} saved")).to_be_visible()
    assert deliver_outbox() == 1
    [message] = mail.outbox
    link = re.search(r"https?://\S+/invite/\S+/", message.body).group(0)

    # Robin signs in to accept, and is asked about their own sessions.
    phone = new_phone()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Sign in to accept")).to_be_visible()
    phone.get_by_role("link", name="Sign in to accept").click()
    phone.get_by_label("Email").fill(robin.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.get_by_role("button", name="Accept invitation").click()

    expect(
        phone.get_by_role("heading", name="Were any of your own sessions with Dana Reyes?")
    ).to_be_visible()
    dana_box = phone.get_by_label("With “Dana Reyes”")
    okafor_box = phone.get_by_label("With “Dr Okafor”")
    expect(dana_box).not_to_be_checked()
    expect(okafor_box).not_to_be_checked()
    expect(phone.get_by_text("1 past, 1 to come.")).to_be_visible()
    # Bringing with nothing ticked moves nothing and says what to do.
    phone.get_by_role("button", name="Bring these into my care with Dana Reyes").click()
    expect(phone.get_by_text("Tick the sessions that were with Dana Reyes")).to_be_visible()
    assert not Appointment.objects.filter(therapist=therapist).exists()
    dana_box = phone.get_by_label("With “Dana Reyes”")
    expect(dana_box).not_to_be_checked()
    dana_box.check()
    phone.screenshot(path="test-results/link-up-choice.png", full_page=True)
    phone.get_by_role("button", name="Bring these into my care with Dana Reyes").click()

    expect(
        phone.get_by_text("Moved 2 sessions into your care with Dana Reyes (1 still to come).")
    ).to_be_visible()
    expect(phone.get_by_text("Your own sessions and Dana Reyes")).to_have_count(0)
    link_row = CareLink.objects.get(therapist=therapist, patient=robin)
    assert link_row.history_brought is True
    # Asked once: the page now says what was chosen.
    phone.goto(f"{base}/care/{therapist.pk}/earlier-sessions/")
    expect(
        phone.get_by_text("you brought 2 of your own sessions into your care with Dana Reyes")
    ).to_be_visible()

    # Dana sees the sessions and opens the shared summary.
    page.goto(f"{base}/appointments/")
    expect(page.get_by_text("Robin Quinn").first).to_be_visible()
    page.goto(f"{base}/appointments/?show=past")
    page.get_by_role("link", name=re.compile("Read shared summary")).click()
    expect(page.get_by_role("heading", name="Robin Quinn")).to_be_visible()
    expect(page.get_by_text("Shared by Robin")).to_be_visible()

    # The session with someone else stays Robin's alone.
    response = page.goto(f"{base}/appointments/{with_someone_else.pk}/summary/")
    assert response.status == 404
    assert set(Appointment.objects.of_therapist(therapist).values_list("pk", flat=True)) == {
        with_dana.pk,
        next_with_dana.pk,
    }
