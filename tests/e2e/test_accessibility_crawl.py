"""Every page, for everyone, on every screen: signed out and as each demo person, a
crawl opens every page a link reaches (and the pages emails lead to). Each page's HTML
passes the Nu HTML checker; each page layout, in Chromium at 320, 390, 768, 1024 and
1280 px wide, has no serious or critical axe-core violation, never scrolls sideways,
has no control (button, field, tick, menu) smaller than a 44 px touch target, asks no
other site for anything, and keeps Sign out within reach (on screen, or once the menu
is opened) with JavaScript on and off."""

import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.invitations import accept_path
from accounts.models import Invitation, User
from appointments.links import action_link
from appointments.models import Appointment
from notifications.links import unsubscribe_link
from tests.e2e.accessibility import (
    HEIGHT,
    WIDTHS,
    axe_violations,
    report,
    sideways_scroll,
    sign_out_out_of_reach,
    small_controls,
)
from tests.factories import EscalationFactory, InvitationFactory, SessionFeedbackFactory
from tests.test_get_never_writes import START_PAGES, crawl, object_pages

SIGNED_OUT = "signed out"
# Each role, and the demo people who show it: two patients (one whose summary is a
# draft, one who shared it), a therapist with patients and one without.
ROLES = {
    SIGNED_OUT: [None],
    "patient": ["sam@demo.example", "alex@demo.example"],
    "therapist": ["therapist@demo.example", "therapist2@demo.example"],
    "manager": ["manager@demo.example"],
}

# Where a visitor who is not signed in starts, besides the links they find.
SIGNED_OUT_PAGES = [
    "home",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "journal:support",
    "prep:account_deleted",
]

# Every axe rule runs at these widths (the journeys' too); at the others only the
# rules whose answer depends on the layout.
FULL_AXE_WIDTHS = (390, 1280)

# Tags whose order tells one page layout from another: the same view showing other
# data (another day's log, another month) has the same layout and is opened once in
# the browser; a different state of it (a draft summary, a shared one) is not.
LAYOUT_TAGS = {"h1", "h2", "h3", "form", "table", "fieldset", "details", "svg", "select"}


@pytest.fixture
def accessibility_of_every_page():
    """These tests check their own pages, at five widths (this replaces the journeys'
    check in tests/e2e/conftest.py)."""
    return None


@pytest.fixture
def practice(db, settings):
    """The demo practice (`seed_demo`), plus what it does not show: a concern a
    patient sent to the manager and an invitation waiting for an answer."""
    settings.DEBUG = True  # seed_demo refuses otherwise (it publishes a password)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    # Staff would otherwise be sent to set up two-factor sign-in on every page.
    settings.REQUIRE_STAFF_MFA = False
    sam = User.objects.get(email="sam@demo.example")
    dana = User.objects.get(email="therapist@demo.example")
    EscalationFactory(
        feedback=SessionFeedbackFactory(
            patient=sam,
            therapist=dana,
            session_at=timezone.now().replace(minute=0, second=0) - timedelta(days=7),
            bond=2,
            goals=3,
        )
    )
    InvitationFactory(therapist=dana, email="robin@example.com")


def signed_out_pages() -> list[str]:
    """Pages for someone not signed in: the public ones, and those an email leads
    to (a session's confirm and cancel links, unsubscribing, an invitation,
    a password reset link, good and spoiled)."""
    sam = User.objects.get(email="sam@demo.example")
    upcoming = Appointment.objects.filter(patient=sam, starts_at__gt=timezone.now()).first()
    key = default_token_generator.make_token(sam)
    uid = user_pk_to_url_str(sam)
    invitation = Invitation.objects.get(email="robin@example.com")
    return [
        *(reverse(name) for name in SIGNED_OUT_PAGES),
        *(urlsplit(action_link(upcoming, action)).path for action in ("confirm", "cancel")),
        urlsplit(unsubscribe_link(sam, "daily")).path,
        accept_path(invitation),
        reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key}),
        reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": "spoiled"}),
        "/no-such-page/",
    ]


def pages_for(client: Client, email: str | None) -> dict[str, str]:
    """Every HTML page a person (None: someone signed out) reaches, by path, as the
    server sends it."""
    if email is None:
        start = signed_out_pages()
    else:
        person = User.objects.get(email=email)
        client.force_login(person)
        start = ["/", *(reverse(name) for name in START_PAGES[person.role])]
        start += [*object_pages(person), reverse("mfa_index"), reverse("mfa_activate_totp")]
    pages = {}
    for path in crawl(client, start):
        response = client.get(path)
        # A whole page, not a fragment htmx swaps into one (checked in its page).
        if response.content[:15].lower() == b"<!doctype html>":
            pages[path] = response.content.decode()
    return pages


class _Layout(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in LAYOUT_TAGS:
            self.tags.append(tag)


def layout(path: str, html: str) -> tuple:
    route, _, query = path.partition("?")
    parser = _Layout()
    parser.feed(html)
    query_keys = sorted(part.partition("=")[0] for part in query.split("&") if part)
    try:
        view = resolve(route).route
    except Resolver404:
        view = "not found"
    return (view, tuple(query_keys), tuple(parser.tags))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role_on_every_screen(
    live_server, browser, nu_checker, practice, role
):
    """GIVEN the demo practice
    WHEN everyone in a role opens every page they can reach
    THEN the Nu HTML checker finds no error in any page; and at each width, on each
    page layout, axe finds nothing serious, nothing scrolls sideways, every control is
    a 44 px target, no other site is asked for anything, and a signed-in person can
    reach Sign out (also without JavaScript, on each different header)."""
    problems: dict[str, list[str]] = {}
    elsewhere: list[str] = []
    layouts, headers = set(), set()
    for email in ROLES[role]:
        client = Client()
        pages = pages_for(client, email)
        assert len(pages) > 5, pages
        paths, without_script = [], []
        for path, html in pages.items():
            if found := [f"Nu: {error}" for error in nu_checker.errors(html)]:
                problems[f"{path} ({email or role})"] = found
            if (key := layout(path, html)) not in layouts:
                layouts.add(key)
                paths.append(path)
            if email and (key := header(html)) not in headers:
                headers.add(key)
                without_script.append(path)
        cookies = [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in client.cookies.items()
        ]
        # Without animations, so that colours are checked as they end, not half way.
        context = browser.new_context(has_touch=True, reduced_motion="reduce")
        no_script = browser.new_context(java_script_enabled=False, reduced_motion="reduce")
        try:
            for each in (context, no_script):
                each.add_cookies(cookies)
                each.set_default_timeout(10_000)
                each.on(
                    "request", lambda request: elsewhere.extend(other_site(request, live_server))
                )
            page, plain = context.new_page(), no_script.new_page()
            for path in dict.fromkeys([*paths, *without_script]):
                url, found = live_server.url + path, []
                if path in paths:
                    found += check_at_every_width(page, url, signed_in=email is not None)
                if path in without_script:
                    found += [
                        f"no JavaScript, {problem}"
                        for problem in sign_out_without_script(plain, url)
                    ]
                if found:
                    problems.setdefault(f"{path} ({email or role})", []).extend(found)
        finally:
            context.close()
            no_script.close()

    assert not elsewhere, f"requests to other sites: {elsewhere}"
    assert not problems, f"{role}, {len(layouts)} page layouts:\n{report(problems)}"


def header(html: str) -> str:
    """A page's header, where the menu and Sign out are, less what changes from page
    to page (the current page, the form token); each different one is also opened
    without JavaScript."""
    found = re.search(r"<header.*?</header>", html, re.DOTALL)
    return re.sub(r' aria-current="page"|value="[\w-]{20,}"', "", found.group(0) if found else "")


def other_site(request, live_server) -> list[str]:
    return [] if request.url.startswith((live_server.url, "data:", "blob:")) else [request.url]


def check_at_every_width(page, url: str, *, signed_in: bool) -> list[str]:
    found = []
    page.goto(url)
    # A laptop's 1280 px at 200 % zoom: the page still reflows.
    page.set_viewport_size({"width": 640, "height": HEIGHT // 2})
    if (overflow := sideways_scroll(page)) > 0:
        found.append(f"640 px (200 % zoom): the page scrolls sideways by {overflow} px")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        if (overflow := sideways_scroll(page)) > 0:
            found.append(f"{width} px: the page scrolls sideways by {overflow} px")
        found += [f"{width} px: smaller than 44 px: {control}" for control in small_controls(page)]
        layout_only = width not in FULL_AXE_WIDTHS
        found += [
            f"{width} px: {violation}"
            for violation in axe_violations(page, only_layout_rules=layout_only)
        ]
        if signed_in and (problem := sign_out_out_of_reach(page)):
            found.append(f"{width} px: {problem}")
    return found


def sign_out_without_script(page, url: str) -> list[str]:
    """Without JavaScript the menu must still open: checked at a phone's width and at
    a tablet's, upright and on its side."""
    page.goto(url)
    found = []
    for width in (390, 768, 1024):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        if problem := sign_out_out_of_reach(page):
            found.append(f"{width} px: {problem}")
    return found
