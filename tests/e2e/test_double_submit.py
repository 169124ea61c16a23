"""A double tap on a slow connection: the form is sent twice, and one answer is kept."""

import contextlib
import re

from django.core.signals import request_started
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from core.models import SubmissionToken
from journal.models import MeasureResponse
from tests.e2e.test_invitation_journey import sign_in

LATENCY_MS = 400
SECOND_TAP_AFTER_MS = 250


def test_two_taps_on_save_with_latency_store_one_phq9(live_server, page: Page, patient):
    """GIVEN a patient on their phone, on a connection where the answer to every form
    takes 400 ms to come back
    WHEN they tap "Save my answers" on a PHQ-9 and tap it again 250 ms later
    THEN both requests reach the server, the database holds one response, and they
    land on that response's page."""
    base = live_server.url
    page.set_default_timeout(10_000)
    sign_in(page, base, patient.email)
    url = f"{base}/journal/measures/phq9/new/"

    arrived = []

    def count_posts(sender, environ, **kwargs):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/phq9/new/"):
            arrived.append(environ["PATH_INFO"])

    def slow_posts(route, request):
        """The request reaches the server at once; its answer comes back 400 ms
        later. A tap in between starts a new request, and the browser drops the
        answer to the first one (which the server has already acted on)."""
        if request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        page.wait_for_timeout(LATENCY_MS)
        # The browser may have given up waiting for this answer already.
        with contextlib.suppress(PlaywrightError):
            route.fulfill(response=answer)

    page.goto(url)
    for number in range(1, 10):
        answer = "Not at all" if number == 9 else "More than half the days"
        page.get_by_role("group", name=f"{number}.").get_by_label(answer, exact=True).check()
    page.route("**/journal/measures/phq9/new/", slow_posts)
    request_started.connect(count_posts)
    try:
        save = page.get_by_role("button", name="Save my answers")
        save.scroll_into_view_if_needed()
        box = save.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        # Taps on the spot, not on a located button: a second tap lands on the page
        # still showing while the first is on its way, as a person's would.
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(SECOND_TAP_AFTER_MS)
        page.touchscreen.tap(x, y)
        # Polled rather than waited on: the first tap's navigation is aborted by the
        # second, which wait_for_url may report as an error under load.
        expect(page).to_have_url(re.compile(r"/journal/measures/\d+/$"))
        page.wait_for_timeout(LATENCY_MS)  # nothing else is still on its way
    finally:
        request_started.disconnect(count_posts)
        page.unroute("**/journal/measures/phq9/new/")

    assert len(arrived) == 2, "the second tap did not reach the server"
    [response] = MeasureResponse.objects.filter(patient=patient)
    assert page.url == f"{base}/journal/measures/{response.pk}/"
    expect(page.get_by_text("You had already sent this, so it was not sent again.")).to_be_visible()
    assert SubmissionToken.objects.count() == 1
    page.screenshot(path="test-results/double-submit.png", full_page=True)
