"""A patient shares a summary by link with someone who is not on the app, with a
code; the stranger opens it in a browser that was never signed in, types the code
and reads it; the patient sees the opening and turns the link off; the stranger's
page stops working."""

import io
import re
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from prep.models import SummaryLinkOpening
from tests.e2e.test_invitation_journey import sign_in
from tests.prep.summary_link_fixtures import share_a_typical_summary


def test_a_patient_shares_a_summary_by_link_and_turns_it_off(
    live_server, page: Page, new_phone, settings, patient, therapist
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    shared = share_a_typical_summary(therapist, patient)

    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    page.goto(base + reverse("prep:summary_review", args=[shared.appointment_id]))
    page.get_by_role("link", name="Share by link or PDF (version 1)").click()
    expect(page.get_by_role("heading", name="Share by link")).to_be_visible()
    expect(page.get_by_label("7 days")).to_be_checked()
    page.get_by_label("14 days").check()
    page.get_by_label("A code to open it (optional)").fill("Tulip42")
    page.get_by_role("button", name="Make a link").click()
    expect(page.get_by_text("Your link is ready.")).to_be_visible()
    expect(page.get_by_text("Not opened yet.")).to_be_visible()
    url = page.get_by_label("The link").input_value()
    assert url.startswith(f"{base}/shared/")

    page.get_by_label("Or send it by email").fill("dr.lee@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("Sent to dr.lee@example.org.")).to_be_visible()

    # A stranger's browser: never signed in, no cookies of the patient's.
    stranger = new_phone()
    response = stranger.goto(url)
    assert response.headers["x-robots-tag"].startswith("noindex")
    expect(stranger.get_by_role("heading", name="Enter the code")).to_be_visible()
    expect(stranger.get_by_text("Sleep through most nights")).to_have_count(0)
    stranger.get_by_label("Code").fill("Rose42")
    stranger.get_by_role("button", name="Open").click()
    expect(stranger.get_by_text("That code isn’t right. You can try 4 more times.")).to_be_visible()
    stranger.get_by_label("Code").fill("tulip42")
    with stranger.expect_response(lambda r: r.url == url and r.request.method == "GET") as shown:
        stranger.get_by_role("button", name="Open").click()
    assert shown.value.headers["referrer-policy"] == "no-referrer"
    assert shown.value.headers["x-robots-tag"].startswith("noindex")
    assert "no-store" in shown.value.headers["cache-control"]
    expect(stranger.get_by_role("heading", name="Sam Patel")).to_be_visible()
    expect(stranger.get_by_text("Sleep through most nights")).to_be_visible()
    expect(stranger.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(stranger.get_by_role("link", name="Need help now")).to_be_visible()
    with stranger.expect_download(timeout=60_000) as download:
        stranger.get_by_role("link", name="Download PDF").click(timeout=60_000)
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "Page 1 of 2" in pdf.pages[0].extract_text()
    assert SummaryLinkOpening.objects.count() == 2

    page.reload()
    expect(
        page.get_by_text(re.compile(r"^Opened \w+day \d+ \w+, \d\d:\d\d$")).first
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"\(PDF downloaded\)"))).to_be_visible()
    page.get_by_role("button", name="Turn off this link").click()
    expect(page.get_by_text("Link turned off. It stopped working just now.")).to_be_visible()
    expect(page.get_by_text("Turned off", exact=True)).to_be_visible()

    response = stranger.reload()
    assert response.status == 410
    expect(stranger.get_by_role("heading", name="This link has been turned off")).to_be_visible()
    expect(stranger.get_by_text("Sleep through most nights")).to_have_count(0)
