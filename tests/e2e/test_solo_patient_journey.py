"""The whole loop for a patient on their own (their therapist is not on the app), in
a browser, as a new user: sign up from the sign-in page, add a weekly session, log
three days, review the summary for the next session and freeze a copy, send it by
link to a stranger who opens it in a browser never signed in, turn the link off, and
see the opening. No request leaves the app's origin on the way (each page is also
checked by axe, the Nu HTML checker, 44 px targets and no sideways scroll,
tests/e2e/conftest.py)."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import CareLink, User
from appointments.models import SessionSeries
from prep.models import PreSessionSummary, SummaryLink, SummaryLinkOpening
from tests.e2e.solo_steps import log_mood, sign_up_alone


def test_a_patient_on_their_own_signs_up_and_sends_a_summary_by_link(
    live_server, page: Page, new_phone, settings, deliver_outbox
):
    """GIVEN open sign-up and someone whose therapist will never join the app
    WHEN they sign up, add a weekly session, log three days, freeze a copy of the
    summary for the next session and make a link to it
    THEN a stranger's fresh browser shows that copy until the patient turns the link
    off, and the patient sees it was opened."""
    settings.SITE_URL = live_server.url
    base = live_server.url
    origin = urlsplit(base).netloc
    page.set_default_timeout(10_000)
    elsewhere = []

    def stays_home(request) -> None:
        if urlsplit(request.url).scheme in ("http", "https", "ws", "wss"):
            if urlsplit(request.url).netloc != origin:
                elsewhere.append(request.url)
        elif not request.url.startswith(("data:", "blob:")):
            elsewhere.append(request.url)

    page.context.on("request", stays_home)

    sign_up_alone(
        page, base, deliver_outbox, email="kit@example.com", first_name="Kit", zone="Europe/Paris"
    )
    kit = User.objects.get(email="kit@example.com")
    assert kit.is_patient and not CareLink.objects.filter(patient=kit).exists()

    # A weekly session with a therapist who is not on the app, from home.
    page.get_by_role("link", name="Add a session").click()
    first = kit.today() + timedelta(days=2)
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("18:00")
    page.get_by_label("Length").select_option("50")
    page.get_by_label("Who it’s with").fill("Dr Ines Ruiz")
    page.get_by_label("In person").check()
    page.get_by_label("Place or video link").fill("12 Mill Lane")
    page.get_by_label("Every week").check()
    page.get_by_role("button", name="Add session").click()
    expect(page.get_by_text("It repeats every week")).to_be_visible()
    upcoming = page.locator("ul.list-group").first.locator("li")
    expect(upcoming.get_by_text("with Dr Ines Ruiz")).to_have_count(8)
    assert SessionSeries.objects.filter(patient=kit, every_weeks=1).count() == 1

    # Three days logged: today, and the two before it filled in afterwards.
    for days_ago, mood in ((2, "4"), (1, "6"), (0, "7")):
        log_mood(page, base, kit.today() - timedelta(days=days_ago), mood)

    # The summary for the next session: reviewed, then a copy frozen to send.
    page.goto(f"{base}/sessions/")
    page.get_by_role("link", name="Prepare your summary").first.click()
    page.get_by_role("button", name="Prepare my summary now").click()
    expect(
        page.get_by_text("This summary is for you: no one on Between Sessions receives it")
    ).to_be_visible()
    expect(page.get_by_text("will see")).to_have_count(0)
    preview = page.locator("#summary-preview")
    expect(preview.get_by_text(re.compile(r"^3 of \d+ days logged\.$"))).to_be_visible()
    page.get_by_role("button", name="Freeze a copy to share").click()
    expect(
        page.get_by_text("Frozen as version 1. Nobody on Between Sessions receives it")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Share by link")).to_be_visible()
    [frozen] = PreSessionSummary.objects.filter(appointment__patient=kit, version__gt=0)
    assert frozen.appointment.therapist_id is None

    # A link with no code, for the week it offers unless told otherwise.
    expect(page.get_by_label("7 days")).to_be_checked()
    page.get_by_role("button", name="Make a link").click()
    expect(page.get_by_text("Your link is ready.")).to_be_visible()
    expect(page.get_by_text("Not opened yet.")).to_be_visible()
    url = page.get_by_label("The link").input_value()
    assert url.startswith(f"{base}/shared/")

    # A stranger: a fresh browser context, no cookies, never signed in.
    stranger = new_phone()
    assert stranger.context.cookies() == []
    stranger.context.on("request", stays_home)
    response = stranger.goto(url)
    assert response.status == 200
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["x-robots-tag"].startswith("noindex")
    expect(stranger.get_by_role("heading", name="Kit")).to_be_visible()
    expect(stranger.get_by_text(re.compile(r"^3 of \d+ days logged\.$"))).to_be_visible()
    expect(stranger.get_by_role("link", name="Sign in")).to_have_count(0)
    assert SummaryLinkOpening.objects.filter(link__summary=frozen).count() == 1

    # The patient turns it off; the stranger's page stops working at once.
    page.get_by_role("button", name="Turn off this link").click()
    expect(page.get_by_text("Link turned off. It stopped working just now.")).to_be_visible()
    response = stranger.reload()
    assert response.status == 410
    expect(stranger.get_by_role("heading", name="This link has been turned off")).to_be_visible()
    expect(stranger.get_by_text(re.compile(r"days logged"))).to_have_count(0)
    [link] = SummaryLink.objects.filter(summary=frozen)
    assert link.revoked_at is not None and link.revoked_at <= timezone.now()

    # The opening is listed for the patient (the turned-off attempt shows nothing).
    page.reload()
    expect(page.get_by_text(re.compile(r"^Opened \w+day \d+ \w+, \d\d:\d\d$"))).to_have_count(1)
    assert not elsewhere, f"requests left the app's origin: {elsewhere}"
