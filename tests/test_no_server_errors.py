"""No input makes the server fail. Generated data (hypothesis) is posted to every
form, signed in as the person the form is for and as everyone else, and every URL is
opened with generated URL parameters and query strings: huge ids (the URL converters
accept any digits), thousands of digits, dates at the edges of the calendar, NUL
bytes and line breaks. Every answer is below 500; a refused form says why, with a
4xx; a refused request writes nothing.

Then the server errors found on the way, one test each, so each stays fixed."""

import os
import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import Invitation
from appointments.models import Appointment
from journal.models import ParkedTopic, SafetyAlert
from prep import summaries
from prep.models import AgendaItem
from tests.factories import (
    AgendaItemFactory,
    AllianceAlertFactory,
    AttendedAppointmentFactory,
    EscalationFactory,
    GoalFactory,
    HomeworkFactory,
    InvitationFactory,
    SessionFeedbackFactory,
    SymptomFactory,
    UserFactory,
    book_session,
)

# Modest, so the whole file runs in well under a minute (NO_500_EXAMPLES=500 for a
# longer hunt); examples share the test's database (the fixtures are made once per
# test, not once per example).
GENERATED = settings(
    max_examples=int(os.environ.get("NO_500_EXAMPLES", "25")),
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LARGEST_ID = 2**63 - 1
THOUSANDS_OF_DIGITS = "9" * 5000

# Values that once broke, or could break, a server: beyond 64 bits, beyond what int()
# reads (4,300 digits), the calendar's first and last days, a day that does not
# exist, NUL (PostgreSQL refuses it in text), line breaks (refused in mail headers),
# non-ASCII digits ("²".isdigit() is true, int("²") fails).
EDGE_VALUES = [
    "",
    "0",
    "-1",
    str(LARGEST_ID),
    str(2**63),
    str(2**64),
    THOUSANDS_OF_DIGITS,
    "²",
    "١٢",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2027-02-30",
    "2027-03-28",
    "23:30",
    "24:00",
    "1e309",
    "NaN",
    "-Infinity",
    "a\x00b",
    "Dana\r\nBcc: someone@example.com",
    "https://evil.example",
    "<script>alert(1)</script>",
    "x" * 6000,
]

values = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=60),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(date.isoformat),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


def field(*likely: str):
    """A field's value: one it expects (if given), or anything at all; sometimes a list
    of several, sometimes absent."""
    value = st.one_of(st.sampled_from(likely), values) if likely else values
    return st.one_of(value, st.lists(value, min_size=2, max_size=3), st.just(None))


# Tables a refused request may still touch: the session (where a "that didn't work"
# message waits for the next page) and the access log (opening a patient's page is on
# the record, even when the form on it is refused).
NOT_DATA = {"sessions.Session"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in NOT_DATA and "Access" not in model.__name__
    }


def says_why(response) -> bool:
    """A refused form names the problem: a field's error or a message at the top."""
    page = response.content.decode(errors="replace")
    return any(
        marker in page
        for marker in ("invalid-feedback", "errorlist", 'class="messages"', "alert-danger")
    )


@pytest.fixture
def world(people, patient, therapist, manager):
    """One of everything a form or URL names, owned by `patient` and `therapist`."""
    symptom = SymptomFactory(patient=patient)
    topic = ParkedTopic.objects.create(patient=patient, title="My sister")
    agenda_item = AgendaItemFactory(patient=patient)
    goal = GoalFactory(patient=patient, created_by=therapist)
    homework = HomeworkFactory(patient=patient, set_by=therapist)
    attended = AttendedAppointmentFactory(therapist=therapist, patient=patient)
    feedback = SessionFeedbackFactory.for_session(attended, bond=3)
    alert = AllianceAlertFactory(feedback=feedback)
    escalation = EscalationFactory(
        feedback=SessionFeedbackFactory(patient=patient, therapist=therapist, bond=1, goals=2)
    )
    upcoming = book_session(
        therapist, patient, (timezone.now() + timedelta(days=3)).replace(minute=0, second=0)
    )
    summaries.generate_draft(upcoming)
    invitation = InvitationFactory(therapist=therapist)
    safety_alert = SafetyAlert.objects.create(patient=patient, source="daily_log")
    return {
        "people": people,
        "safety_alert": safety_alert,
        "symptom": symptom,
        "topic": topic,
        "agenda_item": agenda_item,
        "goal": goal,
        "homework": homework,
        "attended": attended,
        "alert": alert,
        "escalation": escalation,
        "upcoming": upcoming,
        "invitation": invitation,
    }


# Every form: (URL name, its arguments from the world, whose form it is, its fields).
SCALE = field(*map(str, range(11)))
YES = field("on", "1", "true")
FORMS = {
    "daily log": (
        "journal:entry",
        lambda w: [w["people"]["patient"].today()],
        "patient",
        {
            "mood": SCALE,
            "anxiety": SCALE,
            "energy": SCALE,
            "sleep_hours": field("7.5", "24", "24.5", "-0.5", "7.25"),
            "homework_done": field("yes", "no"),
            "thoughts": field(),
            "discuss_next_session": YES,
            "self_harm_thoughts": YES,
        },
    ),
    "quick mood": (
        "journal:quick_mood",
        lambda w: [],
        "patient",
        {"day": field(date.today().isoformat()), "mood": SCALE},
    ),
    "PHQ-9": (
        "journal:measure_new",
        lambda w: ["phq9"],
        "patient",
        {**{f"item_{n}": field("0", "1", "2", "3") for n in range(1, 10)}, "difficulty": field()},
    ),
    "GAD-7": (
        "journal:measure_new",
        lambda w: ["gad7"],
        "patient",
        {**{f"item_{n}": field("0", "1", "2", "3") for n in range(1, 8)}, "difficulty": field()},
    ),
    "symptom add": ("journal:symptoms", lambda w: [], "patient", {"name": field("Headaches")}),
    "symptom rename": (
        "journal:rename_symptom",
        lambda w: [w["symptom"].pk],
        "patient",
        {"name": field("Racing thoughts")},
    ),
    "parked topic": (
        "journal:parked_topics",
        lambda w: [],
        "patient",
        {"title": field("Work"), "show_title_in_summary": YES},
    ),
    "parked topic visibility": (
        "journal:parked_topic_visibility",
        lambda w: [w["topic"].pk],
        "patient",
        {"show": field("0", "1")},
    ),
    "agenda": (
        "prep:agenda",
        lambda w: [],
        "patient",
        {"kind": field("topic", "question"), "text": field("Sleep")},
    ),
    "agenda done": (
        "prep:agenda_done",
        lambda w: [w["agenda_item"].pk],
        "patient",
        {"done": field("0", "1")},
    ),
    "agenda from summary": (
        "prep:summary_add_agenda",
        lambda w: [w["upcoming"].pk],
        "patient",
        {"kind": field("topic"), "text": field("Sleep")},
    ),
    "summary choices": (
        "prep:summary_choices",
        lambda w: [w["upcoming"].pk],
        "patient",
        {
            "show": field("section:mood", "best_day"),
            "thought": field(THOUSANDS_OF_DIGITS, "1", str(2**64)),
            "action": field("share", "save"),
        },
    ),
    "share automatically": (
        "prep:share_automatically",
        lambda w: [],
        "patient",
        {"on": field("0", "1")},
    ),
    "goal comment": (
        "prep:comment_on_goal",
        lambda w: [w["goal"].pk],
        "patient",
        {"text": field("Going well")},
    ),
    "homework tick": (
        "prep:toggle_homework",
        lambda w: [w["homework"].pk],
        "patient",
        {"done": field("0", "1")},
    ),
    "feedback": (
        "feedback:give_feedback",
        lambda w: [w["attended"].pk],
        "patient",
        {
            "bond": SCALE,
            "goals": SCALE,
            "approach": SCALE,
            "overall": SCALE,
            "comment": field(),
            "discuss_next_time": YES,
            "visibility": field("shared", "private", "summary"),
            "escalate": YES,
            "escalation_message": field(),
            "therapist_may_know": YES,
        },
    ),
    "email settings": (
        "notifications:email_preferences",
        lambda w: [],
        "patient",
        {
            "reminders": YES,
            "reminder_first": YES,
            "reminder_second": YES,
            "bookings": YES,
            "daily": YES,
            "daily_paused_until": field("9999-12-31", "0001-01-01"),
            "summaries": YES,
            "feedback": YES,
            "reminder_time": field("07:00", "21:30", "23:59", "06:59"),
        },
    ),
    "profile": (
        "accounts:profile",
        lambda w: [],
        "patient",
        {
            "first_name": field("Sam"),
            "last_name": field("O'Brien"),
            "timezone": field("Europe/London", "America/New_York", "Mars/Olympus"),
            "phone": field("+44 7700 900123", "07700 900123", "++1", "0" * 40),
            "shares_overview": field("True", "False", "None"),
        },
    ),
    "safety contact": (
        "journal:safety_alert",
        lambda w: [w["safety_alert"].pk],
        "therapist",
        {
            "contacted_at": field(
                "2026-03-10T10:00", "9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30T10:00"
            ),
            "note": field("Phoned and we spoke."),
        },
    ),
    "booking": (
        "appointments:appointment_new",
        lambda w: [],
        "therapist",
        {
            "patient": field("PATIENT", str(2**63)),
            "kind": field("in_person", "video", "phone"),
            "location": field("Room 2", "https://meet.example/abc"),
            "day": field("0001-01-01", "9999-12-31", "2027-03-28", "2027-10-31"),
            "start": field("23:30", "00:00", "01:30"),
            "duration": field("30", "45", "50", "60", "90"),
        },
    ),
    "move": (
        "appointments:appointment_edit",
        lambda w: [w["upcoming"].pk],
        "therapist",
        {
            "kind": field("in_person", "video"),
            "location": field("Room 3"),
            "day": field("0001-01-01", "9999-12-31"),
            "start": field("23:30", "00:00"),
            "duration": field("90", "30"),
        },
    ),
    "outcome": (
        "appointments:appointment_outcome",
        lambda w: [w["attended"].pk],
        "therapist",
        {"outcome": field("attended", "no_show", "late_cancel")},
    ),
    "invitation": (
        "accounts:invite_patient",
        lambda w: [],
        "therapist",
        {
            "email": field("new.person@example.com", "not-an-email"),
            "first_name": field("Robin", "Robin\nreset your password at evil.example"),
        },
    ),
    "goal": (
        "prep:add_goal",
        lambda w: [w["people"]["patient"].pk],
        "therapist",
        {"title": field("Sleep better"), "why_it_matters": field()},
    ),
    "goal status": (
        "prep:goal_status",
        lambda w: [w["goal"].pk],
        "therapist",
        {"status": field("active", "achieved", "paused")},
    ),
    "homework": (
        "prep:add_homework",
        lambda w: [w["people"]["patient"].pk],
        "therapist",
        {
            "description": field("A walk"),
            "due_on": field("9999-12-31", "0001-01-01"),
            "appointment": field(str(2**64)),
        },
    ),
    "measure plan": (
        "journal:measure_plan",
        lambda w: [w["people"]["patient"].pk],
        "therapist",
        {"interval_days": field("14", "0", "32768", str(2**63))},
    ),
    "alert reply": (
        "feedback:alert_detail",
        lambda w: [w["alert"].pk],
        "therapist",
        {"reply": field("Thank you for telling me.")},
    ),
    "reminder times": (
        "appointments:reminder_log",
        lambda w: [],
        "manager",
        {"first_reminder_hours": field("48", "0"), "second_reminder_hours": field("2", "-1")},
    ),
    "escalation": (
        "feedback:escalation_handled",
        lambda w: [w["escalation"].pk],
        "manager",
        {"note": field()},
    ),
}


def _post_data(draw, fields: dict, world) -> dict:
    data = {}
    for name, strategy in fields.items():
        value = draw(strategy)
        if value is None:
            continue
        if value == "PATIENT":
            value = str(world["people"]["patient"].pk)
        data[name] = value
    # Sometimes a field the form does not have.
    if draw(st.booleans()):
        data[draw(st.text(min_size=1, max_size=12))] = draw(values)
    return data


@pytest.mark.parametrize("form", list(FORMS))
@GENERATED
@given(data=st.data())
def test_a_form_never_fails_whatever_is_posted(client, world, form, data):
    url_name, args, owner, fields = FORMS[form]
    url = reverse(url_name, args=args(world))
    # Mostly the person the form is for; sometimes anyone else, or nobody.
    who = data.draw(
        st.one_of(st.just(owner), st.sampled_from(list(world["people"]))), label="signed in as"
    )
    person = world["people"][who]
    client.logout()
    if person is not None:
        client.force_login(person)
    posted = _post_data(data.draw, fields, world)
    before = row_counts()

    response = client.post(url, posted)

    event(f"{who}: {response.status_code}")  # --hypothesis-show-statistics
    assert response.status_code < 500, (form, who, posted)
    if response.status_code >= 400:
        assert row_counts() == before, f"{form}: a refused POST wrote something ({who})"
    if response.status_code == 400 and who == owner:
        assert says_why(response), f"{form}: refused without saying why"


# Every URL, with generated URL parameters and query strings.


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "accounts/")):
            continue  # Django's and allauth's own pages
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


ROUTES = sorted(set(_routes()))
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")

ids = st.one_of(
    st.sampled_from(["0", "1", str(LARGEST_ID), str(2**63), str(2**64), THOUSANDS_OF_DIGITS]),
    st.integers(min_value=0, max_value=2**80).map(str),
)
PARAMETER_VALUES = {
    "id": ids,
    "int": ids,
    "isodate": st.one_of(
        st.sampled_from(["0001-01-01", "9999-12-31", "0000-00-00", "2027-02-29", "2027-13-01"]),
        st.dates().map(date.isoformat),
    ),
    "slug": st.one_of(
        st.sampled_from(["phq9", "gad7", "x" * 300]), st.from_regex(r"[\w-]{1,20}", fullmatch=True)
    ),
    "str": st.one_of(
        st.sampled_from(["x", "a" * 4000, "e30:1:abc", "..", "%00"]),
        st.from_regex(r"[A-Za-z0-9_.:-]{1,60}", fullmatch=True),
    ),
}
QUERY_NAMES = [
    *("patient", "month", "weeks", "alert", "next", "day", "page", "show"),
    *("therapist", "since", "until"),
]
query_values = st.one_of(
    st.sampled_from(
        [THOUSANDS_OF_DIGITS, str(2**64), "9999-12", "0001-01", "0000-00", "2027-1e3", "-4"]
    ),
    values,
)


@pytest.mark.parametrize("role", ["patient", "therapist", "manager", "anonymous"])
@GENERATED
@given(data=st.data())
def test_no_url_fails_whatever_is_in_it(client, world, role, data):
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    route = data.draw(st.sampled_from(ROUTES), label="route")
    path = "/" + PARAMETER.sub(lambda m: data.draw(PARAMETER_VALUES[m.group(1) or "str"]), route)
    query = data.draw(
        st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, max_size=3), label="query"
    )
    # GET, or a POST with nothing in it (POST-only routes are refused on GET).
    method = data.draw(st.sampled_from(["get", "post"]))
    if method == "post" and PARAMETER.search(route) is None:
        method = "get"  # a bare form post is the form test's job
    before = row_counts()

    response = getattr(client, method)(path, query if method == "get" else {})

    event(f"{method} {response.status_code}")
    assert response.status_code < 500, (role, method, path, query)
    if response.status_code >= 400 or method == "get":
        assert row_counts() == before, f"{method.upper()} {path} wrote something ({role})"


ROUTES_WITH_IDS = [route for route in ROUTES if re.search(r"<(id|int):", route)]


@pytest.mark.parametrize("route", ROUTES_WITH_IDS)
def test_every_id_route_answers_404_to_an_id_beyond_64_bits(client, world, route):
    """Each route once, rather than as the generator happens to pick them."""
    for role in ("patient", "therapist", "manager"):
        client.force_login(world["people"][role])
        for number in (str(2**63), str(2**64), THOUSANDS_OF_DIGITS):
            path = "/" + PARAMETER.sub(
                lambda m, n=number: n if m.group(1) in ("id", "int") else "x", route
            )
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code in (404, 405), (role, method, path)


QUERIES = [
    ("/appointments/new/", "therapist", "patient"),
    ("/journal/calendar/", "patient", "month"),
    ("/journal/trends/", "patient", "weeks"),
    ("/journal/support/", "patient", "alert"),
    ("/admin/login/", "anonymous", "next"),
    ("/practice/access-log/", "manager", "therapist"),
    ("/practice/access-log/", "manager", "since"),
    ("/practice/access-log/", "manager", "until"),
    ("/practice/access-log/", "manager", "page"),
    ("/settings/who-opened-my-data/", "patient", "page"),
    ("/dashboard/", "therapist", "page"),
    ("/appointments/", "therapist", "page"),
    ("/appointments/", "therapist", "show"),
    ("/appointments/", "therapist", "patient"),
]


@pytest.mark.parametrize(("url", "role", "name"), QUERIES)
def test_a_page_reading_its_query_string_takes_any_value(client, world, url, role, name):
    if world["people"][role] is not None:
        client.force_login(world["people"][role])
    before = row_counts()
    for value in [*EDGE_VALUES, "9999-12", "0001-01", "10000-01", "2027-00", "-1-1"]:
        response = client.get(url, {name: value})
        assert response.status_code < 500, (url, value)
    assert row_counts() == before


# The server errors found, one by one.


def test_thousands_of_digits_in_a_thought_choice_are_ignored(client, world):
    patient = world["people"]["patient"]
    client.force_login(patient)
    url = reverse("prep:summary_choices", args=[world["upcoming"].pk])

    response = client.post(url, {"thought": [THOUSANDS_OF_DIGITS, str(2**64), "²"]})

    assert response.status_code == 302
    assert summaries.draft_for(world["upcoming"]).included_thoughts == []


def test_a_patient_id_of_thousands_of_digits_opens_an_empty_booking_form(client, world):
    client.force_login(world["people"]["therapist"])

    response = client.get(reverse("appointments:appointment_new"), {"patient": THOUSANDS_OF_DIGITS})

    assert response.status_code == 200


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Tokyo"])
@pytest.mark.parametrize(("day", "start"), [("9999-12-31", "23:30"), ("0001-01-01", "00:00")])
def test_a_booking_at_the_edge_of_the_calendar_is_refused_with_a_reason(
    client, world, zone, day, start
):
    therapist = world["people"]["therapist"]
    therapist.timezone = zone
    therapist.save(update_fields=["timezone"])
    client.force_login(therapist)
    before = Appointment.objects.count()

    response = client.post(
        reverse("appointments:appointment_new"),
        {
            "patient": world["people"]["patient"].pk,
            "kind": "in_person",
            "location": "Room 2",
            "day": day,
            "start": start,
            "duration": 90,
        },
    )

    assert response.status_code == 400
    assert says_why(response)
    assert Appointment.objects.count() == before


@pytest.mark.parametrize(
    "url_name",
    [
        "prep:patient_detail",
        "prep:patient_plan",
        "prep:add_goal",
        "prep:add_homework",
        "journal:measure_plan",
        "feedback:patient_feedback",
        "appointments:end_care",
    ],
)
@pytest.mark.parametrize("number", [2**63, 2**64, 10**30])
def test_an_id_no_column_can_hold_is_not_found(client, world, url_name, number):
    client.force_login(world["people"]["therapist"])
    path = reverse(url_name, args=[1]).replace("/1/", f"/{number}/")

    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


def test_the_largest_id_a_column_holds_is_looked_up(client, world):
    client.force_login(world["people"]["therapist"])

    response = client.get(f"/patients/{LARGEST_ID}/plan/")

    assert response.status_code == 404  # no such patient, asked of the database


def test_a_parked_topic_removed_in_another_tab_cannot_be_toggled(client, world):
    client.force_login(world["people"]["patient"])
    topic = world["topic"]
    ParkedTopic.objects.filter(pk=topic.pk).delete()

    response = client.post(
        reverse("journal:parked_topic_visibility", args=[topic.pk]), {"show": "1"}
    )

    assert response.status_code == 404
    assert not ParkedTopic.objects.filter(pk=topic.pk).exists()


def test_an_agenda_item_removed_while_it_is_ticked_is_not_found(client, world):
    """The tick read the item, then the other tab's delete committed, then the tick
    saved: the save finds no row."""
    import prep.views

    client.force_login(world["people"]["patient"])
    item = world["agenda_item"]
    read = prep.views._own_agenda_item

    def read_then_lose_it(patient, item_id):
        found = read(patient, item_id)
        AgendaItem.objects.filter(pk=item_id).delete()
        return found

    with mock.patch.object(prep.views, "_own_agenda_item", read_then_lose_it):
        response = client.post(reverse("prep:agenda_done", args=[item.pk]), {"done": "1"})

    assert response.status_code == 404
    assert not AgendaItem.objects.filter(pk=item.pk).exists()


def test_a_line_break_in_a_therapists_name_stays_out_of_the_invitation_headers(
    client, db, deliver_outbox
):
    therapist = UserFactory(
        therapist=True, first_name="Dana\r\nBcc: someone@example.com", last_name="Reyes\n"
    )
    client.force_login(therapist)

    response = client.post(
        reverse("accounts:invite_patient"), {"email": "robin@example.com", "first_name": "Robin"}
    )

    assert response.status_code == 302
    assert Invitation.objects.filter(email="robin@example.com").exists()
    assert deliver_outbox() == 1
    sent = mail.outbox[0]
    assert "\n" not in sent.subject and "\r" not in sent.subject
    headers = sent.message().as_string().split("\n\n", 1)[0]
    assert not re.search(r"^Bcc:", headers, re.MULTILINE)
    assert sent.to == ["robin@example.com"]
