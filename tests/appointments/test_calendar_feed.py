"""The private calendar feed: a person's sessions in their own calendar app, in step
with moves and cancellations, with nothing about what anyone logged."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from accounts.models import CareLink
from appointments.links import calendar_file
from appointments.models import Appointment, CalendarFeed
from tests.conftest import PEOPLE, assert_access
from tests.factories import (
    AppointmentFactory,
    DailyEntryFactory,
    MeasureResponseFactory,
    SessionFeedbackFactory,
    UserFactory,
)
from tests.test_get_never_writes import row_counts

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
CSRF_TOKEN = re.compile(r'"X-CSRFToken": "[^"]+"')
FEED_PATH = re.compile(r"/calendar-feed/([A-Za-z0-9_-]+)\.ics")
SETTINGS_PAGE = reverse("appointments:calendar_feed")
MAKE = reverse("appointments:calendar_feed_new")
STOP = reverse("appointments:calendar_feed_stop")


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_link(client, person) -> str:
    """Make a feed through the settings page, as the person would; returns the path
    of the address the page shows."""
    client.force_login(person)
    response = client.post(MAKE)
    assert response.status_code == 302
    page = client.get(SETTINGS_PAGE).content.decode()
    return FEED_PATH.search(page).group(0)


def fetch(client, path) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid_of(appointment) -> str:
    return str(Calendar.from_ical(calendar_file(appointment)).walk("VEVENT")[0]["UID"])


def session(therapist, patient, days_ahead, **kwargs):
    starts_at = NOW + timedelta(days=days_ahead)
    return AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **kwargs,
    )


# What the feed holds ------------------------------------------------------------


def test_a_patients_feed_holds_their_sessions_as_the_email_invitation_names_them(
    client, therapist, patient
):
    appointment = session(therapist, patient, 3, location="Room 2, 14 Harbour Street")
    path = make_link(client, patient)
    client.logout()  # a calendar app never signs in

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Between Sessions"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content.decode()
    event = events_by_uid(calendar)[uid_of(appointment)]
    assert event["DTSTART"].dt == appointment.starts_at
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert f"DTSTART:{appointment.starts_at:%Y%m%dT%H%M%S}Z" in response.content.decode()
    assert event["DTEND"].dt == appointment.ends_at
    assert event["SEQUENCE"] == 0
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == "Session with Dana Reyes"
    assert str(event["LOCATION"]) == "Room 2, 14 Harbour Street"
    assert str(event["STATUS"]) == "CONFIRMED"
    # Nobody's email address goes to a calendar company.
    assert "ORGANIZER" not in event and "ATTENDEE" not in event


def test_the_window_runs_from_two_months_back_to_a_year_ahead(client, therapist, patient):
    kept = [session(therapist, patient, -59), session(therapist, patient, 364)]
    session(therapist, patient, -61)
    session(therapist, patient, 366)

    calendar = fetch(client, make_link(client, patient))

    assert set(events_by_uid(calendar)) == {uid_of(a) for a in kept}


def test_a_patients_own_sessions_are_in_their_feed(client, patient):
    own = session(None, patient, 5, therapist_name="Dr Rivera", location="Elm Street clinic")

    event = events_by_uid(fetch(client, make_link(client, patient)))[uid_of(own)]

    assert str(event["SUMMARY"]) == "Session with Dr Rivera"
    assert str(event["LOCATION"]) == "Elm Street clinic"


def test_a_moved_session_shows_its_new_time_and_a_higher_sequence(client, therapist, patient):
    """GIVEN a patient's feed with a session in it
    WHEN the therapist moves the session on the booking form
    THEN the next fetch shows the new time under the same UID, with a higher SEQUENCE."""
    appointment = session(therapist, patient, 3)
    path = make_link(client, patient)
    before = events_by_uid(fetch(client, path))[uid_of(appointment)]

    client.force_login(therapist)
    response = client.post(
        reverse("appointments:appointment_edit", args=[appointment.pk]),
        {
            "patient": patient.pk,
            "day": "2027-03-05",
            "start": "10:00",  # London, still GMT in early March
            "duration": "60",
            "kind": "in_person",
            "location": "Room 2",
        },
    )
    assert response.status_code == 302
    client.logout()

    after = events_by_uid(fetch(client, path))[uid_of(appointment)]
    assert after["DTSTART"].dt == datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    assert after["DTEND"].dt == datetime(2027, 3, 5, 11, 0, tzinfo=UTC)
    assert after["SEQUENCE"] > before["SEQUENCE"]


def test_a_cancelled_session_stays_in_the_feed_marked_cancelled(client, therapist, patient):
    appointment = session(therapist, patient, 3)
    path = make_link(client, patient)

    client.force_login(therapist)
    client.post(reverse("appointments:appointment_cancel", args=[appointment.pk]))
    client.logout()

    event = events_by_uid(fetch(client, path))[uid_of(appointment)]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_a_therapists_feed_names_patients_by_first_name_and_initial_only(
    client, therapist, patient
):
    appointment = session(therapist, patient, 2, kind=Appointment.Kind.VIDEO,
                          location="https://video.example.com/room-7")  # fmt: skip

    response = client.get(make_link(client, therapist))

    event = events_by_uid(Calendar.from_ical(response.content))[uid_of(appointment)]
    assert str(event["SUMMARY"]) == "Session with Sam P."
    assert str(event["LOCATION"]) == "https://video.example.com/room-7"
    text = response.content.decode()
    assert "Patel" not in text
    assert patient.email not in text


def test_a_therapists_feed_holds_only_patients_in_their_care_now(
    client, therapist, patient, other_patient
):
    kept = session(therapist, patient, 2)
    former = UserFactory(first_name="Kim", last_name="Ode")
    CareLink.objects.create(therapist=therapist, patient=former, ended_at=NOW)
    session(therapist, former, 3)
    session(None, patient, 4, therapist_name="Someone else")  # the patient's own

    calendar = fetch(client, make_link(client, therapist))

    assert set(events_by_uid(calendar)) == {uid_of(kept)}


FEED_PROPERTIES = {
    "PRODID", "VERSION", "CALSCALE", "METHOD", "X-WR-CALNAME", "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL", "UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY",
    "LOCATION", "STATUS",
}  # fmt: skip


def test_nothing_anyone_logged_reaches_the_feed(client, therapist, patient):
    """GIVEN a patient who logged a mood with a thought, filled in a questionnaire and
    rated the relationship after a session
    THEN neither feed carries a word of it."""
    past = session(therapist, patient, -7, outcome=Appointment.Outcome.ATTENDED)
    session(therapist, patient, 7)
    DailyEntryFactory(patient=patient, thoughts="Dreading the anniversary on Friday")
    MeasureResponseFactory(patient=patient)
    SessionFeedbackFactory.for_session(past, comment="I felt rushed again")

    for person in (patient, therapist):
        calendar = fetch(client, make_link(client, person))
        properties = [(name, value) for part in calendar.walk() for name, value in part.items()]
        # Only when, where, with whom and whether it is on: no notes or description.
        assert {name for name, _ in properties} <= FEED_PROPERTIES
        text = " ".join(str(getattr(value, "dt", value)) for _, value in properties).lower()
        assert "session with" in text
        for word in ("mood", "score", "summary", "phq", "anxiety", "feedback", "note",
                     "diagnos", "dreading", "rushed", "description", "comment"):  # fmt: skip
            assert word not in text, (person, word)


# Stopping, replacing and other people's feeds --------------------------------------


def test_a_stopped_feed_answers_404(client, therapist, patient):
    session(therapist, patient, 3)
    path = make_link(client, patient)

    assert client.post(STOP).status_code == 302

    assert client.get(path).status_code == 404
    assert CalendarFeed.objects.get(owner=patient).revoked_at == NOW


def test_a_new_link_stops_the_old_one(client, therapist, patient):
    appointment = session(therapist, patient, 3)
    old = make_link(client, patient)

    new = make_link(client, patient)

    assert new != old
    assert client.get(old).status_code == 404
    assert uid_of(appointment) in events_by_uid(fetch(client, new))
    assert CalendarFeed.objects.filter(owner=patient, revoked_at__isnull=True).count() == 1


def test_an_unknown_address_answers_exactly_as_a_stopped_one(client, patient):
    stopped = make_link(client, patient)
    client.post(STOP)
    client.logout()

    unknown = client.get("/calendar-feed/" + "A" * 43 + ".ics")
    gone = client.get(stopped)

    assert unknown.status_code == gone.status_code == 404
    # The same page, but for the CSRF token every page carries.
    assert CSRF_TOKEN.sub("", unknown.content.decode()) == CSRF_TOKEN.sub("", gone.content.decode())


def test_another_persons_feed_never_shows_your_sessions(
    client, therapist, patient, other_therapist, other_patient
):
    mine = session(therapist, patient, 3)
    theirs = session(other_therapist, other_patient, 3)
    make_link(client, patient)

    for person in (other_patient, other_therapist):
        uids = set(events_by_uid(fetch(client, make_link(client, person))))
        assert uid_of(mine) not in uids
    assert set(events_by_uid(fetch(client, make_link(client, other_patient)))) == {uid_of(theirs)}


def test_the_address_is_shown_once_and_only_its_hash_is_kept(client, patient):
    path = make_link(client, patient)
    token = FEED_PATH.search(path).group(1)

    again = client.get(SETTINGS_PAGE).content.decode()

    assert len(token) >= 43  # 256 random bits, base64
    assert token not in again
    assert "Your calendar feed is on" in again
    assert CalendarFeed.objects.get(owner=patient).token_hash != token


def test_the_page_offers_a_webcal_link_and_the_https_address_to_copy(client, patient, settings):
    settings.SITE_URL = "https://app.example.org"
    client.force_login(patient)
    client.post(MAKE)

    page = client.get(SETTINGS_PAGE).content.decode()

    token = re.search(r"/calendar-feed/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert f'href="webcal://app.example.org/calendar-feed/{token}.ics"' in page
    assert f'value="https://app.example.org/calendar-feed/{token}.ics"' in page


def test_one_submission_makes_one_link(client, patient):
    client.force_login(patient)
    data = {"submission_token": "t" * 43}

    client.post(MAKE, data)
    client.post(MAKE, data)  # a double tap

    assert CalendarFeed.objects.filter(owner=patient).count() == 1


def test_guessing_addresses_soon_meets_a_429(client, db):
    answers = [client.get(f"/calendar-feed/guess{n:040d}.ics").status_code for n in range(21)]

    assert answers[:20] == [404] * 20
    assert answers[20] == 429


# Who may do what --------------------------------------------------------------------

FEED_OWNERS = {"patient", "other_patient", "therapist", "other_therapist"}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_patients_and_therapists_have_a_calendar_feed_page(client, people, who):
    expected = 200 if who in FEED_OWNERS else 404
    assert_access(client, people[who], "get", SETTINGS_PAGE, expected)


@pytest.mark.parametrize("url", [MAKE, STOP])
@pytest.mark.parametrize("who", PEOPLE)
def test_only_patients_and_therapists_make_or_stop_a_feed(client, people, who, url):
    expected = 302 if who in FEED_OWNERS else 404
    assert_access(client, people[who], "post", url, expected)
    if who == "manager":
        assert not CalendarFeed.objects.exists()


def test_stopping_your_feed_leaves_everyone_elses(client, patient, other_patient):
    theirs = make_link(client, patient)
    make_link(client, other_patient)

    client.post(STOP)  # other_patient's own

    assert client.get(theirs).status_code == 200


def test_the_page_and_the_forms_take_no_other_method(client, patient):
    client.force_login(patient)
    assert client.post(SETTINGS_PAGE).status_code == 405
    assert client.get(MAKE).status_code == 405
    assert client.get(STOP).status_code == 405
    assert client.post(make_link(client, patient)).status_code == 405


# Looking never writes; the cost stays flat -------------------------------------------


def test_opening_the_page_and_fetching_the_feed_write_nothing(client, therapist, patient):
    session(therapist, patient, 3)
    path = make_link(client, patient)
    before = row_counts()
    feeds_before = list(CalendarFeed.objects.values())

    client.get(SETTINGS_PAGE)
    calendar_app = Client()
    calendar_app.get(path)
    calendar_app.head(path)
    calendar_app.get("/calendar-feed/nothing-here.ics")

    assert row_counts() == before
    assert list(CalendarFeed.objects.values()) == feeds_before


@pytest.mark.parametrize("role", ["patient", "therapist"])
def test_a_feed_costs_the_same_for_a_few_sessions_and_many(
    client, therapist, patient, role, django_assert_max_num_queries
):
    owner = patient if role == "patient" else therapist
    path = make_link(client, owner)
    client.logout()
    for day in range(2):
        session(therapist, patient, day + 1)
    with django_assert_max_num_queries(3) as few:
        fetch(client, path)
    for day in range(60):
        session(therapist, patient, day * 5 + 3)
        session(None, patient, day * 5 + 4, therapist_name="Dr Rivera")
    with django_assert_max_num_queries(len(few.captured_queries)):
        calendar = fetch(client, path)
    assert len(calendar.walk("VEVENT")) >= 62


# Clock changes ----------------------------------------------------------------------


def test_sessions_across_a_clock_change_keep_their_instant(client, therapist, patient):
    """GIVEN a therapist in New York, where clocks go forward at 02:00 on 14 March 2027
    WHEN they book 09:00 the day before and the day after, and 01:30 that night
    (50 minutes, so it ends after the change)
    THEN the feed gives each the UTC instant of that wall-clock time, and the night
    session lasts 50 minutes, not 1 h 50."""
    therapist.timezone = "America/New_York"
    therapist.save()
    client.force_login(therapist)
    for day, start in (("2027-03-13", "09:00"), ("2027-03-15", "09:00"), ("2027-03-14", "01:30")):
        response = client.post(
            reverse("appointments:appointment_new"),
            {"patient": patient.pk, "day": day, "start": start, "duration": "50",
             "kind": "in_person", "location": "Room 2"},
        )  # fmt: skip
        assert response.status_code == 302, response.content
    path = make_link(client, patient)

    starts = sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in fetch(client, path).walk("VEVENT"))

    assert starts == [
        (datetime(2027, 3, 13, 14, 0, tzinfo=UTC), datetime(2027, 3, 13, 14, 50, tzinfo=UTC)),
        (datetime(2027, 3, 14, 6, 30, tzinfo=UTC), datetime(2027, 3, 14, 7, 20, tzinfo=UTC)),
        (datetime(2027, 3, 15, 13, 0, tzinfo=UTC), datetime(2027, 3, 15, 13, 50, tzinfo=UTC)),
    ]
