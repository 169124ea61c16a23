"""Help one tap away, and saying only what happened.

"Need help now" is on every patient page and on the sign-in page, outside the menu,
and opens the support page: open to anyone, every number a tap-to-call (tel:) or
tap-to-text (sms:) link built from CRISIS_RESOURCES, and opening it writes nothing
and tells nobody. After a safety answer (the daily log's tick, PHQ-9 item 9 above 0)
the page says who was told, by name, only when an email to them is in the outbox; with
no therapist linked, it says nobody was told and why. Resources show either way."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from journal.emails import SAFETY_ALERT
from journal.models import SafetyAlert
from notifications.models import Message
from tests.factories import CareLinkFactory, UserFactory
from tests.test_get_never_writes import (
    START_PAGES,
    demo,  # noqa: F401 (a fixture)
    links_in,
    row_counts,
    same_site_path,
)

SUPPORT = reverse("journal:support")
HARM = {"mood": "2", "self_harm_thoughts": "on"}
# Words that would promise help nobody was asked for.
GENERIC = ("asked your therapist", "your therapist to check in", "We’ve asked")


def phq9(item_nine: int) -> dict:
    return {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": str(item_nine)}


def report_self_harm(client, patient, path: str):
    """Answer a safety question the way the patient does, by `path`."""
    if path == "daily_log":
        return client.post(reverse("journal:entry", args=[patient.today()]), HARM)
    return client.post(reverse("journal:measure_new", args=["phq9"]), phq9(2))


class _Header(HTMLParser):
    """The "Need help now" links in a page, and whether each sits inside the
    phone menu (#main-nav, a <details>), which shows only once opened."""

    def __init__(self):
        super().__init__()
        self.depth_in_menu = 0
        self.stack: list[bool] = []
        self.help_links: list[dict] = []
        self._open_link: dict | None = None

    VOID = {"input", "img", "br", "hr", "meta", "link", "source", "col", "area", "wbr"}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.VOID:
            return
        is_menu = attributes.get("id") == "main-nav"
        self.stack.append(is_menu)
        self.depth_in_menu += is_menu
        if tag == "a":
            self._open_link = {
                "href": attributes.get("href"),
                "class": attributes.get("class") or "",
                "in_menu": self.depth_in_menu > 0,
                "text": "",
            }

    def handle_data(self, data):
        if self._open_link is not None:
            self._open_link["text"] += data

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        if tag == "a" and self._open_link is not None:
            if self._open_link["text"].strip() == "Need help now":
                self.help_links.append(self._open_link)
            self._open_link = None
        self.depth_in_menu -= self.stack.pop()


def help_links(page: str) -> list[dict]:
    parser = _Header()
    parser.feed(page)
    return parser.help_links


def assert_help_one_tap_away(page: str, where: str) -> None:
    [link] = help_links(page)
    assert link["href"] == SUPPORT, where
    assert not link["in_menu"], f"{where}: the link is hidden in the collapsed menu"
    # The class the stylesheet sizes to at least 44 px (checked in a browser in
    # tests/e2e/test_support_journey.py).
    assert "help-now" in link["class"].split(), where


def tel_links(page: str) -> list[str]:
    return re.findall(r'href="(tel:[^"]*)"', page)


def sms_links(page: str) -> list[str]:
    return re.findall(r'href="(sms:[^"]*)"', page)


def alert_rows():
    return Message.objects.filter(kind=SAFETY_ALERT)


class TestNeedHelpNowOnEveryPage:
    @pytest.mark.usefixtures("demo")
    def test_every_page_a_demo_patient_can_reach_has_it_outside_the_menu(self, client):
        """A crawl of everything a patient reaches by links from their own pages."""
        patient = User.objects.get(email="sam@demo.example")
        client.force_login(patient)
        start = ["/", *(reverse(name) for name in START_PAGES[User.Role.PATIENT])]
        queue, seen, checked = deque(start), set(start), []
        while queue and len(checked) < 400:
            path = queue.popleft()
            response = client.get(path, follow=True)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            page = response.content.decode()
            if "<main" not in page:
                continue  # a fragment the page fetches (htmx), not a page
            assert_help_one_tap_away(page, path)
            checked.append(path)
            for url in links_in(page, urljoin("http://testserver", path)):
                target = same_site_path(url)
                # One month of the calendar is enough: it links back for years.
                if target and target not in seen and "month=" not in target:
                    seen.add(target)
                    queue.append(target)
        assert len(checked) > 40  # the crawl reached the patient’s pages
        assert SUPPORT in checked

    def test_the_sign_in_page_has_it_and_it_opens_signed_out(self, client):
        sign_in = client.get(reverse("account_login"))
        assert_help_one_tap_away(sign_in.content.decode(), "sign-in")
        support = client.get(SUPPORT)
        assert support.status_code == 200
        page = support.content.decode()
        assert "tel:116123" in tel_links(page)
        assert "Back to sign in" in page

    @pytest.mark.parametrize("person", ["therapist", "manager"])
    def test_staff_pages_do_not_carry_it(self, client, request, settings, person):
        settings.REQUIRE_STAFF_MFA = False
        client.force_login(request.getfixturevalue(person))
        page = client.get("/", follow=True).content.decode()
        assert help_links(page) == []


class TestTheSupportPage:
    def test_every_number_is_a_tap_to_call_link_and_text_numbers_tap_to_text(self, client, patient):
        client.force_login(patient)
        page = client.get(SUPPORT).content.decode()
        assert tel_links(page) == ["tel:999", "tel:112", "tel:911", "tel:116123", "tel:988"]
        assert sms_links(page) == ["sms:988"]
        assert ">Call 116 123</a>" in page
        assert ">Text 988</a>" in page
        # The words stay as written.
        assert "Call 116 123, free, any time" in page
        assert "Opening this page doesn’t tell anyone or send anything." in page

    def test_the_links_come_from_the_settings(self, client, patient, settings):
        settings.CRISIS_RESOURCES = [
            {"name": "Lifeline", "contact": "Ring 0800 000 000", "phone": ["+44 (0)20 7946-0000"],
             "sms": ["85258"]},
            {"name": "A walk-in centre", "contact": "12 High Street, open 9 to 5",
             "phone": [], "sms": []},
        ]  # fmt: skip
        client.force_login(patient)
        page = client.get(SUPPORT).content.decode()
        assert tel_links(page) == ["tel:+4402079460000"]
        assert sms_links(page) == ["sms:85258"]
        assert ">Call +44 (0)20 7946-0000</a>" in page
        assert "12 High Street, open 9 to 5" in page

    @pytest.mark.parametrize("person", [None, "patient", "therapist", "manager"])
    def test_opening_it_writes_nothing_and_raises_no_alert(
        self, client, request, settings, patient, person
    ):
        settings.REQUIRE_STAFF_MFA = False
        if person:
            client.force_login(request.getfixturevalue(person))
        before = row_counts()
        for _ in range(3):
            assert client.get(SUPPORT).status_code == 200
        assert row_counts() == before
        assert not SafetyAlert.objects.exists()
        assert not Message.objects.exists()

    def test_it_changes_nothing_on_post(self, client, patient):
        client.force_login(patient)
        assert client.post(SUPPORT).status_code == 405
        assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize("path", ["daily_log", "phq9"])
class TestSayOnlyWhatHappened:
    def test_a_patient_with_a_therapist_is_told_their_name(self, client, patient, therapist, path):
        client.force_login(patient)
        response = report_self_harm(client, patient, path)
        alert = SafetyAlert.objects.get(patient=patient)
        assert response.url == f"{SUPPORT}?alert={alert.pk}"
        [row] = alert_rows().filter(target_id=alert.pk)
        assert row.recipient == therapist
        page = client.get(response.url).content.decode()
        assert "Thank you for telling us" in page
        assert "We’ve let Dana Reyes know about your answer" in page
        assert "Dana Reyes may not see your answer for a while." in page
        assert "tel:116123" in tel_links(page)
        for words in GENERIC:
            assert words not in page

    def test_two_therapists_are_both_named(self, client, patient, therapist, other_therapist, path):
        CareLinkFactory(therapist=other_therapist, patient=patient)
        client.force_login(patient)
        response = report_self_harm(client, patient, path)
        page = client.get(response.url).content.decode()
        assert "We’ve let Dana Reyes and Morgan Lee know" in page
        assert alert_rows().count() == 2

    def test_a_patient_who_left_their_therapist_is_told_nobody_was(
        self, client, patient, therapist, path
    ):
        """The patient stopped seeing their therapist (their own "stop seeing" button);
        no email is written, and the page says so instead of promising a check-in."""
        client.force_login(patient)
        client.post(reverse("appointments:leave_care", args=[therapist.pk]))
        client.get(reverse("prep:patient_home"))  # reads the "no longer your therapist" note
        response = report_self_harm(client, patient, path)
        alert = SafetyAlert.objects.get(patient=patient)
        assert not alert_rows().exists()
        page = client.get(response.url).content.decode()
        assert "Nobody has been notified about this answer" in page
        assert "Your therapist isn’t on Between Sessions, so no one here is told" in page
        assert "Dana Reyes" not in page
        assert "We’ve let" not in page
        for words in GENERIC:
            assert words not in page
        assert tel_links(page) and "Samaritans" in page
        assert response.url == f"{SUPPORT}?alert={alert.pk}"

    def test_a_patient_who_never_had_a_therapist_is_told_nobody_was(self, client, db, path):
        alone = UserFactory(first_name="Robin", last_name="Hale")
        client.force_login(alone)
        response = report_self_harm(client, alone, path)
        page = client.get(response.url).content.decode()
        assert "Nobody has been notified about this answer" in page
        assert "Your therapist isn’t on Between Sessions" in page
        assert not alert_rows().exists()
        assert sms_links(page) == ["sms:988"]


def test_a_therapist_whose_email_was_dropped_is_no_longer_named(
    client, patient, therapist, other_therapist, deliver_outbox
):
    """Care with one therapist ends before the email goes: it is skipped, not sent,
    and the page, read again, names only the therapist who was told."""
    CareLinkFactory(therapist=other_therapist, patient=patient)
    client.force_login(patient)
    url = report_self_harm(client, patient, "daily_log").url
    client.post(reverse("appointments:leave_care", args=[therapist.pk]))
    client.get(reverse("prep:patient_home"))  # reads the "no longer your therapist" note
    deliver_outbox()
    assert alert_rows().get(recipient=therapist).status == Message.Status.SKIPPED
    page = client.get(url).content.decode()
    assert "We’ve let Morgan Lee know" in page
    assert "Dana Reyes" not in page


class TestAnAlertIdInTheLink:
    @pytest.fixture
    def reported(self, client, patient):
        client.force_login(patient)
        response = report_self_harm(client, patient, "daily_log")
        client.logout()
        return response.url

    @pytest.mark.parametrize("person", [None, "other_patient", "therapist", "manager"])
    def test_anyone_else_sees_nothing_of_the_patients(
        self, client, request, settings, reported, person
    ):
        settings.REQUIRE_STAFF_MFA = False
        if person:
            client.force_login(request.getfixturevalue(person))
        response = client.get(reported)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Need help now?" in page
        for private in (
            "Thank you for telling us",
            "Dana Reyes",
            "Sam Patel",
            "Nobody has been notified",
        ):
            assert private not in page
        assert tel_links(page)

    @pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "99999999999999999999", "0"])
    def test_a_malformed_or_unknown_id_shows_the_plain_page(self, client, patient, value):
        client.force_login(patient)
        response = client.get(SUPPORT, {"alert": value})
        assert response.status_code == 200
        assert "Need help now?" in response.content.decode()

    def test_reading_the_report_writes_nothing(self, client, patient, reported):
        client.force_login(patient)
        before = row_counts()
        assert "We’ve let Dana Reyes know" in client.get(reported).content.decode()
        assert row_counts() == before

    def test_the_report_page_reads_a_fixed_number_of_queries(
        self, patient, other_therapist, django_assert_max_num_queries
    ):
        """Two therapists told cost no more queries than one."""
        CareLinkFactory(therapist=other_therapist, patient=patient)
        client = Client()
        client.force_login(patient)
        url = report_self_harm(client, patient, "phq9").url
        with django_assert_max_num_queries(6):
            assert "Dana Reyes and Morgan Lee" in client.get(url).content.decode()
