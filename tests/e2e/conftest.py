"""Browser journeys: Debian's Chromium, driven by Playwright, against live_server."""

import hashlib
import os
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.handlers.base import BaseHandler
from django.db.backends.signals import connection_created

from tests.conftest import require_service
from tests.e2e.accessibility import (
    JOURNEY_VIEWPORTS,
    NuChecker,
    axe_violations,
    report,
    sideways_scroll,
    small_controls,
)

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make around it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True}


@pytest.fixture(scope="session", autouse=True)
def _close_connections_of_every_context(django_db_setup):
    """Playwright's sync API switches greenlets, and Django keeps one connection per
    context, so the suite ends with connections that the test database's teardown
    cannot see. Close every one this thread opened before that teardown runs."""
    opened = weakref.WeakSet()

    def remember(sender, connection, **kwargs):
        opened.add(connection)

    connection_created.connect(remember, weak=False)
    yield
    connection_created.disconnect(remember)
    for wrapper in list(opened):
        if wrapper._thread_ident == threading.get_ident():
            wrapper.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service(CHROMIUM.exists(), f"{CHROMIUM} is not installed")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def new_phone(browser):
    """Another person's phone: a fresh browser context with its own cookies."""
    contexts = []

    def open_phone():
        context = browser.new_context(**PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


# Accessibility of every page a journey loads ----------------------------------------

# Tokens that differ on every render of the same page: the CSRF token (in forms and in
# htmx's headers) and the one-time form tokens of core/submissions.py.
PER_RENDER_TOKEN = re.compile(rb'(value="|"X-CSRFToken": ")[\w:.\-]{20,}"')


@pytest.fixture(scope="session")
def nu_checker():
    checker = NuChecker()
    yield checker
    checker.close()


@dataclass(frozen=True)
class Document:
    """One HTML page exactly as the server sent it to a browser."""

    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def name(self) -> str:
        return f"{self.method} {self.path} ({self.status})"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(PER_RENDER_TOKEN.sub(rb"\1", self.body)).hexdigest()


# Pages checked already in this run, by fingerprint, with what was found (the sign-in
# page and the home pages recur in every journey), and the static files they use.
_checked: dict[str, list[str]] = {}
_static_files: dict[str, dict] = {}


class EveryPageChecked:
    """Records each HTML page the live server sends a browser to open during a
    journey; once the journey has passed, `verify` replays each one in a browser
    context of its own and fails on any serious or critical axe violation, sideways
    scrolling or control smaller than 44 px at 390×844 and at 1280×800, and on any Nu
    HTML checker error. Replaying what was sent (not fetching the URL again) checks
    each page in the state the journey saw it, a form's errors after a POST included,
    and leaves the journeys as they are."""

    def __init__(self, browser, live_server, nu_checker):
        self.browser = browser
        self.nu = nu_checker
        self.base = live_server.url
        self.host = self.base.split("://", 1)[1]
        self.documents: list[Document] = []
        self.replaying: Document | None = None

    def keep(self, request, response) -> None:
        if (
            request.get_host() != self.host  # the test client, not a browser
            # A page the browser opens, not a fragment htmx asks for nor the favicon.
            or request.headers.get("Sec-Fetch-Dest") != "document"
            or response.streaming
            or 300 <= response.status_code < 400  # a redirect: its target is kept
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return
        headers = tuple((k, v) for k, v in response.items() if k.lower() != "set-cookie")
        self.documents.append(
            Document(
                request.method, request.get_full_path(), response.status_code, headers,
                response.content,
            )
        )  # fmt: skip

    def verify(self) -> None:
        documents, self.documents = self.documents, []
        new = {}
        for document in documents:
            if document.fingerprint not in _checked:
                new.setdefault(document.fingerprint, document)
        if new:
            self._check(new)
        problems = {}
        for document in documents:
            if _checked[document.fingerprint]:
                problems.setdefault(document.name, _checked[document.fingerprint])
        for page in self._open_pages():
            found = [f"axe, as the journey left it: {v}" for v in axe_violations(page)]
            if found:
                problems.setdefault(f"{page.url} (open at the end)", found)
        assert not problems, "Accessibility problems on pages this journey loaded:\n" + report(
            problems
        )

    def _check(self, documents: dict[str, Document]) -> None:
        context = self.browser.new_context(viewport=JOURNEY_VIEWPORTS[0], has_touch=True)
        try:
            context.route("**/*", self._serve)
            page = context.new_page()
            for fingerprint, document in documents.items():
                found = [f"Nu: {error}" for error in self.nu.errors(document.body.decode())]
                self.replaying = document
                page.set_viewport_size(JOURNEY_VIEWPORTS[0])
                page.goto(self.base + document.path)
                for viewport in JOURNEY_VIEWPORTS:
                    page.set_viewport_size(viewport)
                    size = f"{viewport['width']}×{viewport['height']}"
                    if (overflow := sideways_scroll(page)) > 0:
                        found.append(f"at {size} the page scrolls sideways by {overflow} px")
                    found += [f"at {size} smaller than 44 px: {c}" for c in small_controls(page)]
                    found += [f"axe at {size}: {v}" for v in axe_violations(page)]
                _checked[fingerprint] = found
        finally:
            self.replaying = None
            context.close()

    def _serve(self, route) -> None:
        """The page being replayed as it was sent, its static files (fetched once per
        run: routing turns the browser's cache off), and nothing else: an htmx
        request would reach a server that no longer knows the session."""
        request = route.request
        url = request.url
        if request.is_navigation_request() and url == self.base + self.replaying.path:
            document = self.replaying
            route.fulfill(
                status=document.status, headers=dict(document.headers), body=document.body
            )
        elif url.startswith(f"{self.base}/static/"):
            if url not in _static_files:
                answer = route.fetch()
                _static_files[url] = {
                    "status": answer.status,
                    "headers": answer.headers,
                    "body": answer.body(),
                }
            route.fulfill(**_static_files[url])
        else:
            route.abort()

    def _open_pages(self):
        """The journey's pages still open on this site, in the state it left them
        (htmx swaps included)."""
        for context in self.browser.contexts:
            for page in context.pages:
                if page.url.startswith(self.base) and not page.is_closed():
                    yield page


@pytest.fixture(autouse=True)
def accessibility_of_every_page(request, monkeypatch):
    """Every browser test's pages are checked once it passes (see EveryPageChecked).
    A test that checks its own pages overrides this fixture."""
    if "live_server" not in request.fixturenames:
        yield None
        return
    checks = EveryPageChecked(
        request.getfixturevalue("browser"),
        request.getfixturevalue("live_server"),
        request.getfixturevalue("nu_checker"),
    )
    sent = BaseHandler.get_response

    def get_response_and_keep(handler, http_request):
        response = sent(handler, http_request)
        checks.keep(http_request, response)
        return response

    monkeypatch.setattr(BaseHandler, "get_response", get_response_and_keep)
    yield checks


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a browser test passes, while its browser and server still run, check
    every page it loaded; a problem fails the test itself."""
    result = yield
    checks = getattr(item, "funcargs", {}).get("accessibility_of_every_page")
    if checks is not None:
        checks.verify()
    return result
