"""The main navigation on every screen, with JavaScript and without: a patient and a
therapist sign in, open the menu, reach every item (the current one marked with
aria-current="page"), and sign out. Nothing scrolls sideways, no label wraps, Sign
out is always in reach, and a patient's "Need help now" stays on screen."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from config.navigation import MENUS
from tests.e2e.accessibility import sideways_scroll
from tests.e2e.navigation import main_nav, open_menu, open_menu_item, phone_menu, sign_out
from tests.e2e.test_invitation_journey import sign_in

WIDTHS = (390, 768, 1024, 1280)
# Below this the bar gives way to the menu (static/css/app.css, "Navigation").
WIDE = 992


@pytest.fixture
def screen(browser, request):
    """A browser at one width, with JavaScript on or off. A test closes it when it
    is done: the pages it loaded are checked for accessibility afterwards by
    replaying them (tests/e2e/conftest.py), and axe cannot run in a page left open
    without JavaScript."""
    width, javascript = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        java_script_enabled=javascript,
        has_touch=width < WIDE,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


SCREENS = [
    pytest.param((width, javascript), id=f"{width}px-{'js' if javascript else 'no-js'}")
    for width in WIDTHS
    for javascript in (True, False)
]


def assert_in_reach(page: Page, locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert box["height"] >= 44 and box["width"] >= 44, box


def assert_labels_on_one_line(page: Page) -> None:
    for link in main_nav(page).locator(".site-nav-link").filter(visible=True).all():
        lines = link.evaluate(
            "a => { const r = document.createRange(); r.selectNodeContents(a);"
            " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
        )
        assert lines == 1, link.inner_text()


def walk_every_item(page: Page, role: str, *, patient: bool) -> None:
    bar, more = MENUS[role]
    width = page.viewport_size["width"]
    for item in (*bar, *more):
        open_menu_item(page, item.label)
        expect(page).to_have_url(re.compile(re.escape(reverse(item.url_name)) + "$"))
        current = main_nav(page).locator('a[aria-current="page"]').filter(visible=True)
        if width >= WIDE and item in more:
            # Under "More": the menu is closed again on the new page, "More" marked.
            expect(main_nav(page).locator("summary.is-current")).to_have_text("More")
        else:
            open_menu(page)
            expect(current).to_have_count(1)
            expect(current).to_have_text(item.label)
        assert sideways_scroll(page) <= 0, f"{item.label} at {width} px"
        if width >= WIDE:
            assert_labels_on_one_line(page)
            assert_in_reach(page, main_nav(page).get_by_role("button", name="Sign out"))
        if patient:
            assert_in_reach(page, page.get_by_role("link", name="Need help now", exact=True))
        if phone_menu(page).is_visible() and phone_menu(page).get_attribute("open") is not None:
            phone_menu(page).locator("summary").click()  # close it again, as a person would


def sign_out_and_check(page: Page, base: str) -> None:
    menu = open_menu(page)
    if page.viewport_size["width"] < WIDE:
        expect(menu.locator(".site-menu-panel")).to_be_visible()
    sign_out(page)
    expect(main_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{base}/home/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS, indirect=True)
def test_a_patient_reaches_every_page_and_signs_out(live_server, screen, patient):
    page = screen
    sign_in(page, live_server.url, patient.email)
    expect(page.get_by_role("heading", name="Hello, Sam")).to_be_visible()
    assert_in_reach(page, page.get_by_role("link", name="Need help now", exact=True))
    walk_every_item(page, "patient", patient=True)
    page.screenshot(path=f"test-results/navigation-patient-{page.viewport_size['width']}.png")
    sign_out_and_check(page, live_server.url)


@pytest.mark.parametrize("screen", SCREENS, indirect=True)
def test_a_therapist_reaches_every_page_and_signs_out(live_server, screen, therapist):
    page = screen
    sign_in(page, live_server.url, therapist.email)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Need help now", exact=True)).to_have_count(0)
    walk_every_item(page, "therapist", patient=False)
    sign_out_and_check(page, live_server.url)


@pytest.mark.parametrize("screen", [(390, False), (1280, False)], indirect=True)
def test_signed_out_the_sign_in_page_keeps_help_one_tap_away(live_server, screen):
    page = screen
    page.goto(f"{live_server.url}/accounts/login/")
    assert_in_reach(page, page.get_by_role("link", name="Need help now", exact=True))
    assert sideways_scroll(page) <= 0
    expect(main_nav(page).locator('a[aria-current="page"]')).to_have_text("Sign in")
    page.context.close()


@pytest.mark.parametrize("screen", [(320, True), (320, False)], indirect=True)
def test_on_the_smallest_phone_everything_fits_and_sign_out_is_one_tap_away(
    live_server, screen, patient
):
    """320 px is also a 1280 px screen at 400 % zoom (WCAG reflow)."""
    page = screen
    sign_in(page, live_server.url, patient.email)
    assert_in_reach(page, page.get_by_role("link", name="Need help now", exact=True))
    assert_in_reach(page, phone_menu(page).locator("summary"))
    assert sideways_scroll(page) <= 0
    open_menu(page)
    assert_in_reach(page, phone_menu(page).get_by_role("button", name="Sign out"))
    assert sideways_scroll(page) <= 0
    sign_out_and_check(page, live_server.url)
