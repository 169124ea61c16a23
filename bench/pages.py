"""The pages `make bench` measures, who requests them, and their query counts.

People are signed in by writing their sessions directly (no sign-in form): the
session holds what allauth records at sign-in, a password and, for staff, a used
authenticator, which is what accounts/mfa.py asks of a staff session.
"""

import secrets
import string
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import urlencode

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import login
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.mfa import must_use_mfa
from accounts.models import User
from appointments.models import Appointment
from core.submissions import FIELD as TOKEN_FIELD
from core.submissions import new_token
from journal.entries import symptoms_for_log
from prep.models import PreSessionSummary

from . import seed
from .load import Request

BARE = "/bench/ok"


def sign_in(user: User) -> dict[str, str]:
    """The cookies of a fresh signed-in session for `user`."""
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record_authentication(request, user, "password", email=user.email)
    if must_use_mfa(user):
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {
        settings.SESSION_COOKIE_NAME: request.session.session_key,
        settings.CSRF_COOKIE_NAME: csrf,
    }


@dataclass
class Person:
    user: User
    cookies: dict[str, str]
    # A patient's session with a summary to review (and the therapist's to read).
    session: Appointment | None = None
    symptom_ids: tuple[int, ...] = ()


def _session_to_review(patient: User) -> Appointment | None:
    """The patient's next booked session that has a draft summary (the seed built
    one for the first session to come), else the next one."""
    upcoming = (
        Appointment.objects.booked()
        .filter(patient=patient, starts_at__gte=timezone.now())
        .order_by("starts_at")
    )
    drafted = upcoming.filter(
        pk__in=PreSessionSummary.objects.filter(version=0).values("appointment_id")
    ).first()
    return drafted or upcoming.first()


def people(scale: seed.Scale) -> dict[str, list[Person]]:
    measured = seed.measured_patients(scale)
    found = {user.email: user for user in User.objects.filter(email__endswith=seed.DOMAIN)}

    def patient(email: str) -> Person:
        user = found[email]
        return Person(
            user,
            sign_in(user),
            session=_session_to_review(user),
            symptom_ids=tuple(symptom.pk for symptom in symptoms_for_log(user)),
        )

    year = [patient(email) for email in measured["year"]]
    week = [patient(email) for email in measured["week"]]
    big = [found[seed.therapist_email(n)] for n in range(1, len(year) + 1)]
    small = found[seed.therapist_email(None)]
    manager = found[seed.manager_email()]
    return {
        "year": year,
        "week": week,
        "therapists": [Person(user, sign_in(user)) for user in big],
        "small_therapist": [Person(small, sign_in(small))],
        "manager": [Person(manager, sign_in(manager))],
    }


@dataclass
class Page:
    name: str
    size: str  # what "size" this is measured at ("365 days", "100 patients")
    requests: list  # callables: n -> Request, one per person, used in turn
    target: float | None = None  # the p95 ratio target against B0

    def request(self, n: int) -> Request:
        return self.requests[n % len(self.requests)](n)

    def bare(self, n: int) -> Request:
        return Request("GET", BARE, self.request(n).cookies)


def _get(path: str, person: Person):
    return lambda n: Request("GET", path, person.cookies)


def _daily_log(person: Person, method: str):
    def make(n: int) -> Request:
        path = f"/journal/{person.user.today().isoformat()}/"
        if method == "GET":
            return Request("GET", path, person.cookies)
        form = {
            "csrfmiddlewaretoken": person.cookies[settings.CSRF_COOKIE_NAME],
            TOKEN_FIELD: new_token(),  # a fresh form each time, as a browser sends
            "mood": n % 11,
            "anxiety": (n * 3) % 11,
            "energy": (n * 7) % 11,
            "sleep_hours": "7.5",
            "homework_done": "yes",
            "thoughts": "Walked to the river after work.",
            **{f"symptom_{pk}": (n + i) % 4 for i, pk in enumerate(person.symptom_ids)},
        }
        return Request("POST", path, person.cookies, urlencode(form).encode(), expect=302)

    return make


def pages(who: dict[str, list[Person]]) -> tuple[list[Page], list[tuple[Page, Page]]]:
    """The pages timed (at the larger size, plus both sizes where the issue compares
    them) and, for query counts, each page at its small and large size."""
    year, week = who["year"], who["week"]
    therapists, small = who["therapists"], who["small_therapist"]

    def each(people, make):
        return [make(person) for person in people]

    def per_size(name, make, target=None):
        return (
            Page(name, "7 days", each(week, make), target),
            Page(name, "365 days", each(year, make), target),
        )

    home = per_size("Patient home", lambda p: _get("/home/", p), 3)
    log_get = per_size("Daily log GET", lambda p: _daily_log(p, "GET"), 2.5)
    log_post = per_size("Daily log POST", lambda p: _daily_log(p, "POST"), 2.5)
    trends = per_size("Trends", lambda p: _get("/journal/trends/", p), 3)
    calendar = per_size("Calendar", lambda p: _get("/journal/calendar/", p))
    review = per_size("Summary review", lambda p: _get(f"/sessions/{p.session.pk}/summary/", p), 3)
    shared = (
        Page("Shared summary", "7 days", [
            _get(f"/appointments/{p.session.pk}/summary/", small[0]) for p in week
        ]),
        Page("Shared summary", "365 days", [
            _get(f"/appointments/{p.session.pk}/summary/", t)
            for p, t in zip(year, therapists, strict=True)
        ]),
    )  # fmt: skip
    dashboard = (
        Page("Dashboard", "5 patients", each(small, lambda p: _get("/dashboard/", p)), 3),
        Page("Dashboard", "100 patients", each(therapists, lambda p: _get("/dashboard/", p)), 3),
    )
    practice = Page(
        "Practice page",
        f"{User.objects.filter(role=User.Role.THERAPIST).count()} therapists",
        each(who["manager"], lambda p: _get("/practice/", p)),
        3,
    )
    timed = [
        home[1], log_get[1], log_post[1], trends[1], calendar[1], review[0], review[1],
        shared[1], dashboard[0], dashboard[1], practice,
    ]  # fmt: skip
    sized = [home, log_get, log_post, trends, calendar, review, shared, dashboard]
    return timed, [*sized, (practice, practice)]


def count_queries(page: Page) -> tuple[int, int]:
    """Queries one request costs, run in this process through the same middleware:
    the page's first person's second request (the first may differ, e.g. a session
    touched for the first time). Returns the count and the status."""
    client = Client()
    for n in range(2):
        request = page.request(n * len(page.requests))
        cookie = "; ".join(f"{k}={v}" for k, v in request.cookies.items())
        with CaptureQueriesContext(connection) as queries:
            response = client.generic(
                request.method,
                request.path,
                request.body,
                content_type="application/x-www-form-urlencoded",
                secure=True,
                HTTP_HOST="127.0.0.1",
                HTTP_COOKIE=cookie,
            )
    return len(queries.captured_queries), response.status_code
