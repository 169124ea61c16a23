"""Error pages in the app's own words: a form that fails the CSRF check says what
happened and gives back what was typed (never a password or a token, and never to a
page elsewhere), and acts on nothing; the favicon is there, /favicon.ico included."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from journal.models import DailyEntry

THOUGHTS = "Slept badly again, and the meeting with my manager went better than I feared"
SAME_SITE = {"HTTP_ORIGIN": "http://testserver", "HTTP_REFERER": "http://testserver/journal/"}


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_a_form_that_fails_the_check_explains_and_gives_back_the_words(strict_client, patient):
    """GIVEN a patient whose daily log page went stale (no valid CSRF token)
    WHEN they send it
    THEN a 403 page says nothing was saved, why, and shows their words read-only to
    copy, with a way back to the form; no entry is written."""
    strict_client.force_login(patient)
    day = patient.today()
    response = strict_client.post(
        reverse("journal:entry", args=[day]),
        {"mood": "4", "thoughts": THOUGHTS, "discuss_next_session": "on",
         "csrfmiddlewaretoken": "stale", "submission_token": "x" * 43},
        HTTP_ORIGIN="http://testserver",
        HTTP_REFERER=f"http://testserver{reverse('journal:entry', args=[day])}",
    )  # fmt: skip
    assert response.status_code == 403
    page = response.content.decode()
    assert "That form couldn’t be sent" in page
    assert "Nothing was saved." in page
    assert "Forbidden" not in page
    assert f"readonly>{THOUGHTS}</textarea>" in page
    assert '<label class="form-label" for="typed-1">Thoughts</label>' in page
    # Ticks, numbers and tokens are not "what you typed".
    assert "stale" not in page
    assert "x" * 43 not in page
    assert page.count("<textarea") == 1
    assert f'href="http://testserver{reverse("journal:entry", args=[day])}"' in page
    assert "no-store" in response["Cache-Control"]
    assert not DailyEntry.objects.exists()


def test_passwords_and_codes_are_never_given_back(strict_client, db):
    response = strict_client.post(
        reverse("account_login"),
        {"login": "sam@example.com", "password": "correct horse battery staple",
         "password2": "correct horse battery staple", "code": "123 456 789 012 345",
         "reset_key": "a very long reset key 0123456789"},
        **SAME_SITE,
    )  # fmt: skip
    assert response.status_code == 403
    page = response.content.decode()
    assert "correct horse" not in page
    assert "123 456" not in page
    assert "reset key" not in page
    assert "What you typed" not in page


def test_a_form_posted_from_another_site_gets_none_of_its_words_shown(strict_client, patient):
    strict_client.force_login(patient)
    response = strict_client.post(
        reverse("prep:agenda"),
        {"text": "Your account is locked, call 0900 000 000 to unlock it"},
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_REFERER="https://elsewhere.example/form",
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "That form couldn’t be sent" in page
    assert "0900" not in page
    assert "elsewhere.example" not in page
    assert "Open the form again" not in page


def test_without_the_csrf_cookie_it_says_what_to_allow(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "sam@example.com"}, **SAME_SITE)
    assert response.status_code == 403
    assert "If you block cookies for this site" in response.content.decode()


def test_the_page_keeps_the_sites_header_and_help(strict_client, db):
    page = strict_client.post(reverse("account_login"), {}, **SAME_SITE).content.decode()
    assert 'aria-label="Main"' in page
    assert "Need help now" in page
    assert '<main id="main"' in page


def test_the_favicon_is_served_and_linked(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.url == "/static/img/favicon.ico"
    for name in ("img/favicon.ico", "img/favicon.svg", "img/apple-touch-icon.png"):
        assert finders.find(name), name
    page = client.get(reverse("account_login")).content.decode()
    assert '<link rel="icon" href="/static/img/favicon.ico" sizes="32x32">' in page
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in page
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.parametrize("status", ["404", "500"])
def test_error_pages_link_the_favicon(client, db, settings, status):
    settings.DEBUG = False
    from django.template.loader import render_to_string

    page = render_to_string(f"{status}.html")
    assert "/static/img/favicon.svg" in page
