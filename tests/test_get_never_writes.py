"""Looking never changes anything: signed in as each demo person, a crawl that opens
every page reachable by a link leaves every table exactly as it was. The one
exception is on purpose: staff opening a patient's data is recorded in the access
log, because the patient is promised that every read is on the record."""

import io
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from appointments.links import action_link
from appointments.models import Appointment
from notifications.links import unsubscribe_link
from prep.management.commands.seed_demo import DEMO_PEOPLE

# Enough for every page the demo reaches (fewer than a hundred and fifty), small
# enough to stop a runaway.
MAX_PAGES_PER_PERSON = 600
# One page seen with this many different queries (?month=...) is seen enough: the
# calendar's "previous month" link goes back years.
MAX_QUERIES_PER_PATH = 24

# Never opened: signing out ends the crawl, the admin is Django's, static files are
# files.
SKIPPED_PREFIXES = ("/accounts/logout/", "/admin/", "/static/")

# Where each person starts besides "/": their own pages, in case a link is missing.
START_PAGES = {
    User.Role.PATIENT: [
        "prep:patient_home",
        "journal:today",
        "journal:symptoms",
        "journal:calendar",
        "journal:trends",
        "journal:measures",
        "journal:parked_topics",
        "journal:support",
        "journal:offline",
        "prep:session_list",
        "prep:goals",
        "prep:agenda",
        "prep:homework_checklist",
        "feedback:mine",
        "accounts:profile",
        "notifications:email_preferences",
    ],
    User.Role.THERAPIST: [
        "prep:therapist_dashboard",
        "prep:appointment_list",
        "accounts:patient_list",
        "accounts:invite_patient",
        "appointments:appointment_new",
        "appointments:reminder_log",
        "accounts:profile",
    ],
    User.Role.MANAGER: [
        "feedback:practice_home",
        "accounts:invite_therapist",
        "notifications:practice_settings",
        "accounts:profile",
    ],
}

# Recorded on purpose when staff open a patient's data (a summary, a patient page,
# a plan, feedback, an escalation): the patient is promised that every read is on
# the record. The access log is the only write a GET may make.
RECORDED_ON_PURPOSE = "accounts.AccessRecord"


class _Links(HTMLParser):
    """The targets of every <a href> in a page, and of the page's own htmx GETs
    (fragments the browser fetches as soon as the page loads)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.found.append(attributes["href"])
        if attributes.get("data-hx-get"):
            self.found.append(attributes["data-hx-get"])


def links_in(page: str, base: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return [urljoin(base, href) for href in parser.found]


def same_site_path(url: str) -> str | None:
    """The path and query to GET for a link on this site, or None to leave it."""
    url, _fragment = urldefrag(url)
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https"):
        return None  # mailto:, tel:, javascript:
    if parts.netloc not in ("", "testserver"):
        return None  # another site
    if not parts.path or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def row_counts() -> dict[str, int]:
    """Rows in every table, by model: the project's, Django's and allauth's (all
    installed apps), including the many-to-many tables Django creates."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


def crawl(client, start: list[str]) -> dict[str, int]:
    """GET every page reachable from `start` by links, breadth first, each once, and
    return each one's status. A redirect's target counts as a link; a POST-only view
    answers 405 and has no links to follow."""
    statuses: dict[str, int] = {}
    queue = deque(start)
    queued = set(start)
    queries_per_path: Counter = Counter()
    while queue and len(statuses) < MAX_PAGES_PER_PERSON:
        path = queue.popleft()
        response = client.get(path)
        statuses[path] = response.status_code
        found = []
        if response.status_code in (301, 302, 303, 307, 308):
            found = [urljoin(path, response["Location"])]
        elif response.get("Content-Type", "").startswith("text/html"):
            found = links_in(response.content.decode(), path)
        for url in found:
            target = same_site_path(url)
            if target is None or target in queued:
                continue
            path_only, _, query = target.partition("?")
            if query:
                queries_per_path[path_only] += 1
                if queries_per_path[path_only] > MAX_QUERIES_PER_PATH:
                    continue
            queued.add(target)
            queue.append(target)
    return statuses


def object_pages(person) -> list[str]:
    """Pages about one session that no link may lead to in the demo's state: the
    feedback form, the summary, moving a session, and the links emails carry (which
    work without signing in)."""
    if person.is_patient:
        sessions = Appointment.objects.filter(patient=person)
        return [
            *(reverse("feedback:give_feedback", args=[s.pk]) for s in sessions if s.was_attended),
            *(reverse("prep:summary_review", args=[s.pk]) for s in sessions),
            *(
                urlsplit(action_link(s, action)).path
                for s in sessions
                for action in ("confirm", "cancel", "rebook")
            ),
            urlsplit(unsubscribe_link(person, "daily")).path,
        ]
    if person.is_therapist:
        sessions = Appointment.objects.filter(therapist=person)
        return [reverse("appointments:appointment_edit", args=[s.pk]) for s in sessions]
    return []


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True  # seed_demo refuses otherwise (it publishes a password)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    # Staff would otherwise be sent to set up two-factor sign-in on every page and
    # the crawl would see nothing else.
    settings.REQUIRE_STAFF_MFA = False


@pytest.mark.parametrize("email", [person[0] for person in DEMO_PEOPLE])
def test_opening_every_page_changes_nothing_in_the_database(client, demo, email):
    person = User.objects.get(email=email)
    # Signing in writes the session; it happens before the first count.
    client.force_login(person)
    start = ["/", *(reverse(name) for name in START_PAGES[person.role]), *object_pages(person)]
    before = row_counts()

    statuses = crawl(client, start)

    after = row_counts()
    changed = {
        label: (before[label], after[label]) for label in before if before[label] != after[label]
    }
    written = {label: counts for label, counts in changed.items() if label != RECORDED_ON_PURPOSE}
    assert not written, f"{email}: GET requests changed rows (before, after): {written}"
    if RECORDED_ON_PURPOSE in changed:
        was, now = changed[RECORDED_ON_PURPOSE]
        assert now > was, f"{email}: {RECORDED_ON_PURPOSE} lost rows on GET"
        assert person.is_clinical_staff, f"{email}: only staff reads are recorded"

    broken = sorted(path for path, status in statuses.items() if status >= 500)
    assert not broken, f"{email}: GET answered 500 for {broken}"
    assert len(statuses) < MAX_PAGES_PER_PERSON, f"{email}: the crawl did not finish"


# The one write a summary link's page makes (prep/sharing.py): its reader has no
# account, and the patient is promised they see each time the link was opened.
OPENED_THROUGH_A_LINK = "prep.SummaryLinkOpening"


def test_a_summary_links_reader_writes_only_the_opening(client, demo):
    from prep import links
    from prep.models import PreSessionSummary

    shared = PreSessionSummary.objects.filter(version__gt=0).first()
    link = links.create(shared, 7)
    coded = links.create(shared, 7, code="Tulip42")
    before = row_counts()

    statuses = crawl(
        client,
        [reverse("prep:shared_summary", args=[token]) for token in (link.token, coded.token)],
    )

    after = row_counts()
    changed = {label for label in before if before[label] != after[label]}
    assert changed == {OPENED_THROUGH_A_LINK}, changed
    # The page and its PDF each once; the coded link's form opens nothing.
    assert after[OPENED_THROUGH_A_LINK] - before[OPENED_THROUGH_A_LINK] == 2
    assert not [path for path, status in statuses.items() if status >= 500]
