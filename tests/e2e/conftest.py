"""Browser journeys: Debian's Chromium, driven by Playwright, against live_server."""

import os
import threading
import weakref
from pathlib import Path

import pytest
from django.db.backends.signals import connection_created

from tests.conftest import require_service

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
