"""A patient's own sessions (their therapist is not on the app), through the pages:
adding one (once or repeating), changing, cancelling, stopping a series, saying
whether they went; only the patient ever reaches them; reminders with a calendar
file and signed links that never name a therapist who is not there."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from appointments import emails, series
from appointments.links import action_link
from appointments.models import Appointment, SessionSeries
from notifications.models import Message
from tests.conftest import PEOPLE, assert_access
from tests.factories import UserFactory

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def solo(db):
    """A patient whose therapist is not on the app."""
    return UserFactory(first_name="Robin", last_name="Hale", timezone="Europe/London")


def form(**changes) -> dict:
    data = {
        "day": "2026-06-04",
        "start": "18:00",
        "duration": "50",
        "therapist_name": "Ines",
        "kind": "in_person",
        "location": "12 Mill Lane",
        "repeats": "once",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def own_session(patient, starts_at=NOW + timedelta(days=3), **fields) -> Appointment:
    return Appointment.objects.create(
        patient=patient,
        therapist=None,
        therapist_name=fields.pop("therapist_name", "Ines"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        **fields,
    )


class TestAdding:
    def test_the_form_asks_without_choosing_for_the_patient(self, client, solo):
        client.force_login(solo)
        page = client.get(reverse("appointments:own_session_new")).content.decode()
        assert "Just this once" in page and "Every two weeks" in page
        assert "checked" not in page
        assert 'selected value="50"' not in page
        assert Appointment.objects.count() == 0

    def test_home_offers_it_when_no_session_is_coming_up(self, client, solo):
        client.force_login(solo)
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert reverse("appointments:own_session_new") in home
        own_session(solo)
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "with Ines" in home and "No session coming up" not in home

    def test_once_adds_one_session_at_the_patients_local_time(self, client, solo):
        client.force_login(solo)
        response = client.post(reverse("appointments:own_session_new"), form())
        assert response.status_code == 302
        [session] = Appointment.objects.all()
        assert session.therapist is None and session.therapist_name == "Ines"
        assert session.series is None and session.patient == solo
        # 18:00 in London in June is 17:00 UTC.
        assert session.starts_at == datetime(2026, 6, 4, 17, tzinfo=UTC)
        assert session.duration_minutes == 50 and session.location == "12 Mill Lane"
        listed = client.get(response.url).content.decode()
        assert "with Ines" in listed and "Thursday 4 June, 18:00" in listed

    def test_a_patient_in_another_zone_enters_and_sees_their_own_time(self, client, db):
        tokyo = UserFactory(timezone="Asia/Tokyo")
        client.force_login(tokyo)
        client.post(reverse("appointments:own_session_new"), form(start="09:15"))
        [session] = Appointment.objects.all()
        assert session.starts_at == datetime(2026, 6, 4, 0, 15, tzinfo=UTC)
        assert "Thursday 4 June, 09:15" in client.get(reverse("prep:session_list")).content.decode()

    def test_every_week_starts_a_series_and_lists_the_next_weeks(self, client, solo):
        client.force_login(solo)
        response = client.post(
            reverse("appointments:own_session_new"), form(repeats="1"), follow=True
        )
        [started] = SessionSeries.objects.all()
        assert started.every_weeks == 1 and started.timezone == "Europe/London"
        assert started.sessions.count() == 8
        page = response.content.decode()
        assert "repeats every week" in page
        assert "Thursday 11 June, 18:00" in page and "Thursday 23 July, 18:00" in page

    def test_the_list_says_every_week_only_while_the_series_runs_on_own_sessions(
        self, client, solo, therapist
    ):
        client.force_login(solo)
        client.post(reverse("appointments:own_session_new"), form(repeats="1"))
        [started] = SessionSeries.objects.all()
        url = reverse("prep:session_list")
        assert client.get(url).content.decode().count("· every week") == 8
        # Brought into care with a therapist on the app: that one is theirs to book.
        first = started.sessions.get(occurrence=0)
        Appointment.objects.filter(pk=first.pk).update(therapist=therapist)
        assert client.get(url).content.decode().count("· every week") == 7
        # Ended (stopped, or brought whole): its sessions repeat no more.
        SessionSeries.objects.filter(pk=started.pk).update(ended_at=NOW)
        assert "every week" not in client.get(url).content.decode()

    def test_a_video_session_needs_a_web_address(self, client, solo):
        client.force_login(solo)
        response = client.post(
            reverse("appointments:own_session_new"), form(kind="video", location="my room")
        )
        assert response.status_code == 400
        assert "video link as a web address" in response.content.decode()
        client.post(
            reverse("appointments:own_session_new"),
            form(kind="video", location="meet.example.org/ines"),
        )
        assert Appointment.objects.get().join_url == "https://meet.example.org/ines"

    @pytest.mark.parametrize(
        "changes, field_error",
        [
            ({"repeats": None}, "This field is required"),
            ({"kind": None}, "This field is required"),
            ({"duration": ""}, "This field is required"),
            ({"therapist_name": "   "}, "This field is required"),
            ({"day": "2026-05-31"}, "Choose a time in the future"),
            ({"day": "2031-01-01"}, "within the next two years"),
            ({"day": "yesterday"}, "Enter a valid date"),
            # The clocks go forward at 01:00 on 29 March 2026 in London.
            ({"day": "2027-03-28", "start": "01:30"}, "clocks change"),
            ({"repeats": "3"}, "Select a valid choice"),
            ({"duration": "7"}, "Select a valid choice"),
        ],
    )
    def test_bad_input_gets_a_clear_error_and_nothing_is_saved(
        self, client, solo, changes, field_error
    ):
        client.force_login(solo)
        response = client.post(reverse("appointments:own_session_new"), form(**changes))
        assert response.status_code == 400
        assert field_error in response.content.decode()
        assert not Appointment.objects.exists() and not SessionSeries.objects.exists()

    def test_adding_plans_reminders_and_no_booking_notice(self, client, solo):
        client.force_login(solo)
        client.post(reverse("appointments:own_session_new"), form())
        session = Appointment.objects.get()
        rows = set(Message.objects.filter(target_id=session.pk).values_list("kind", "variant"))
        assert rows == {(emails.REMINDER, "first"), (emails.REMINDER, "second")}


class TestChanging:
    def test_moving_bumps_the_sequence_and_replans_the_reminders(self, client, solo):
        session = own_session(solo)
        emails.plan_for_booking(session)
        client.force_login(solo)
        response = client.post(
            reverse("appointments:own_session_edit", args=[session.pk]),
            form(day="2026-06-05", start="08:30", therapist_name="Dr Ines Ruiz"),
        )
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.starts_at == datetime(2026, 6, 5, 7, 30, tzinfo=UTC)
        assert session.sequence == 1 and session.therapist_name == "Dr Ines Ruiz"
        pending = Message.objects.pending().filter(target_id=session.pk)
        assert {m.due_at for m in pending} == {
            session.starts_at - timedelta(hours=24),
            session.starts_at - timedelta(hours=2),
        }

    def test_the_edit_form_shows_the_session_in_the_patients_time(self, client, solo):
        session = own_session(solo, starts_at=datetime(2026, 6, 4, 17, tzinfo=UTC))
        client.force_login(solo)
        page = client.get(reverse("appointments:own_session_edit", args=[session.pk]))
        assert 'value="18:00"' in page.content.decode()
        assert "How often" not in page.content.decode()

    def test_a_move_after_a_reminder_went_out_sends_the_new_calendar_file(
        self, client, solo, deliver_outbox, _clock
    ):
        session = own_session(solo, starts_at=NOW + timedelta(hours=30))
        emails.plan_for_booking(session)
        _clock.move_to(NOW + timedelta(hours=6))
        assert deliver_outbox() == 1  # the 24-hour reminder, with its calendar file
        mail.outbox.clear()
        client.force_login(solo)
        client.post(
            reverse("appointments:own_session_edit", args=[session.pk]),
            form(day="2026-06-03", start="10:00"),
        )
        deliver_outbox()
        [moved] = mail.outbox
        assert "Your session with Ines has a new time" in moved.body
        event = Calendar.from_ical(moved.attachments[0][1]).walk("VEVENT")[0]
        assert event["SEQUENCE"] == 1

    def test_a_started_or_cancelled_session_cannot_be_changed(self, client, solo):
        started = own_session(solo, starts_at=NOW - timedelta(minutes=5))
        client.force_login(solo)
        response = client.post(
            reverse("appointments:own_session_edit", args=[started.pk]), form(day="2026-06-09")
        )
        assert response.status_code == 302
        started.refresh_from_db()
        assert started.starts_at == NOW - timedelta(minutes=5)


class TestCancelling:
    def test_cancelling_one_withdraws_its_reminders(self, client, solo):
        session = own_session(solo)
        emails.plan_for_booking(session)
        client.force_login(solo)
        response = client.post(reverse("appointments:own_session_cancel", args=[session.pk]))
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
        assert not Message.objects.pending().filter(target_id=session.pk).exists()
        # Nothing had reached a calendar, and nobody else is there to tell.
        assert not Message.objects.filter(kind=emails.CANCELLED).exists()
        assert not Message.objects.filter(kind=emails.LATE_CANCELLATION_NOTE).exists()

    def test_cancelling_twice_says_so(self, client, solo):
        session = own_session(solo)
        client.force_login(solo)
        url = reverse("appointments:own_session_cancel", args=[session.pk])
        client.post(url)
        page = client.post(url, follow=True).content.decode()
        assert "already started or was cancelled" in page

    def test_stopping_a_series_says_how_many_it_cancels(self, client, solo):
        started = SessionSeries.objects.create(
            patient=solo,
            therapist_name="Ines",
            every_weeks=1,
            first_starts_at=NOW + timedelta(days=2),
            timezone="Europe/London",
        )
        series.materialise(started)
        client.force_login(solo)
        url = reverse("appointments:series_stop", args=[started.pk])
        page = client.get(url).content.decode()
        assert "8 sessions still to come will be cancelled" in page
        assert started.sessions.filter(outcome="").count() == 8  # the page changed nothing
        done = client.post(url, follow=True).content.decode()
        assert "8 sessions cancelled" in done
        started.refresh_from_db()
        assert started.ended_at == NOW
        assert client.get(url).status_code == 404


class TestAttendance:
    def test_after_it_started_the_patient_says_whether_they_went(self, client, solo):
        went = own_session(solo, starts_at=NOW - timedelta(hours=2))
        missed = own_session(solo, starts_at=NOW - timedelta(days=7))
        client.force_login(solo)
        listed = client.get(reverse("prep:session_list")).content.decode()
        assert listed.count("Did you go?") == 2
        client.post(
            reverse("appointments:own_session_attendance", args=[went.pk]), {"outcome": "attended"}
        )
        client.post(
            reverse("appointments:own_session_attendance", args=[missed.pk]), {"outcome": "no_show"}
        )
        went.refresh_from_db()
        missed.refresh_from_db()
        assert went.outcome == Appointment.Outcome.ATTENDED
        assert missed.outcome == Appointment.Outcome.NO_SHOW
        # No "we missed you" note, no link to ask someone who isn't there for a time.
        assert not Message.objects.filter(kind=emails.NO_SHOW).exists()

    def test_not_before_it_starts_and_only_went_or_not(self, client, solo):
        later = own_session(solo)
        client.force_login(solo)
        url = reverse("appointments:own_session_attendance", args=[later.pk])
        page = client.post(url, {"outcome": "attended"}, follow=True).content.decode()
        assert "once the session has started" in page
        client.post(url, {"outcome": "cancelled_by_therapist"})
        later.refresh_from_db()
        assert later.outcome == ""


class TestOnlyThePatientSeesThem:
    @pytest.fixture
    def own(self, patient):
        """An own session of a patient who also has a therapist on the app."""
        return own_session(patient, therapist_name="Dr Old")

    @pytest.fixture
    def own_series(self, patient):
        return SessionSeries.objects.create(
            patient=patient,
            therapist_name="Dr Old",
            every_weeks=1,
            first_starts_at=NOW + timedelta(days=2),
            timezone="Europe/London",
        )

    @pytest.mark.parametrize("person", PEOPLE)
    @pytest.mark.parametrize(
        "name, method", [("own_session_edit", "get"), ("own_session_edit", "post"),
                         ("own_session_cancel", "post"), ("own_session_attendance", "post")],
    )  # fmt: skip
    def test_each_session_url(self, client, people, own, person, name, method):
        expected = {"own_session_edit": 200, "own_session_cancel": 302}.get(name, 302)
        if name == "own_session_edit" and method == "post":
            expected = 400
        url = reverse(f"appointments:{name}", args=[own.pk])
        expected = expected if person == "patient" else 404
        assert_access(client, people[person], method, url, expected, data={})
        own.refresh_from_db()
        if person != "patient":
            assert own.outcome == "" and own.sequence == 0

    @pytest.mark.parametrize("person", PEOPLE)
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_stopping_a_series(self, client, people, own_series, person, method):
        url = reverse("appointments:series_stop", args=[own_series.pk])
        expected = (200 if method == "get" else 302) if person == "patient" else 404
        assert_access(client, people[person], method, url, expected)
        own_series.refresh_from_db()
        assert (own_series.ended_at is not None) == (person == "patient" and method == "post")

    @pytest.mark.parametrize("person", PEOPLE)
    def test_adding(self, client, people, person):
        url = reverse("appointments:own_session_new")
        expected = 200 if person in ("patient", "other_patient") else 404
        assert_access(client, people[person], "get", url, expected)

    def test_a_therapists_session_is_not_an_own_session(self, client, patient, therapist):
        linked = Appointment.objects.create(
            patient=patient,
            therapist=therapist,
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, minutes=50),
        )
        client.force_login(patient)
        for name in ("own_session_edit", "own_session_cancel", "own_session_attendance"):
            method = client.get if name == "own_session_edit" else client.post
            assert method(reverse(f"appointments:{name}", args=[linked.pk])).status_code == 404

    def test_their_own_therapist_never_sees_it(self, client, own, therapist):
        client.force_login(therapist)
        for url in (
            reverse("prep:therapist_dashboard"),
            reverse("prep:appointment_list"),
            reverse("prep:patient_detail", args=[own.patient_id]),
            reverse("appointments:reminder_log"),
        ):
            page = client.get(url).content.decode()
            assert "Dr Old" not in page, url
        assert client.get(reverse("prep:summary_read", args=[own.pk])).status_code == 404

    def test_the_patient_sees_own_and_linked_sessions_together(
        self, client, patient, therapist, own
    ):
        Appointment.objects.create(
            patient=patient,
            therapist=therapist,
            starts_at=NOW + timedelta(days=1),
            ends_at=NOW + timedelta(days=1, minutes=50),
        )
        client.force_login(patient)
        page = client.get(reverse("prep:session_list")).content.decode()
        assert "with Dr Old" in page and "with Dana Reyes" in page
        home = client.get(reverse("prep:patient_home")).content.decode()
        assert "with Dana Reyes" in home


class TestEmails:
    def test_reminders_carry_a_calendar_file_and_links_without_a_therapist(
        self, client, solo, deliver_outbox, _clock
    ):
        client.force_login(solo)
        client.post(reverse("appointments:own_session_new"), form())
        session = Appointment.objects.get()
        _clock.move_to(session.starts_at - timedelta(hours=23))
        assert deliver_outbox() == 1
        [reminder] = mail.outbox
        assert reminder.to == [solo.email]
        assert "A reminder of your session with Ines." in reminder.body
        assert "/email/" in reminder.body  # the signed confirm and cancel links
        _name, ics, content_type = reminder.attachments[0]
        calendar = Calendar.from_ical(ics)
        event = calendar.walk("VEVENT")[0]
        assert str(event["SUMMARY"]) == "Session with Ines"
        # Nobody invites anyone to an own session: iTIP's PUBLISH, which names its
        # organiser (the patient, who noted it) and no attendees.
        assert calendar["METHOD"] == "PUBLISH" and "method=PUBLISH" in content_type
        assert str(event["ORGANIZER"]) == f"mailto:{solo.email}"
        assert "ATTENDEE" not in event
        assert event["STATUS"] == "CONFIRMED"
        _clock.move_to(session.starts_at - timedelta(hours=1, minutes=59))
        assert deliver_outbox() == 1

    def test_the_emailed_cancel_link_cancels_and_says_who_to_tell(
        self, client, solo, deliver_outbox
    ):
        session = own_session(solo)
        url = action_link(session, "cancel").removeprefix("http://testserver")
        url = url[url.index("/email/") :]
        page = client.get(url).content.decode()
        assert "Ines isn’t on the app, so let them know yourself" in page
        done = client.post(url).content.decode()
        assert "is cancelled here" in done
        session.refresh_from_db()
        assert session.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT

    def test_a_rebook_link_for_an_own_session_is_refused(self, client, solo):
        session = own_session(solo, starts_at=NOW - timedelta(days=1))
        url = action_link(session, "rebook")
        assert client.get(url[url.index("/email/") :]).status_code == 404
        assert not Message.objects.filter(kind=emails.REBOOK_REQUEST).exists()


def test_the_sessions_list_costs_the_same_with_many_own_sessions(
    client, solo, django_assert_max_num_queries
):
    client.force_login(solo)
    url = reverse("prep:session_list")
    own_session(solo)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for week in range(40):
        started = SessionSeries.objects.create(
            patient=solo,
            therapist_name=f"Ines {week}",
            every_weeks=1,
            first_starts_at=NOW - timedelta(weeks=week),
            timezone="Europe/London",
        )
        own_session(solo, starts_at=NOW - timedelta(weeks=week, hours=1), series=started)
        own_session(solo, starts_at=NOW + timedelta(weeks=week, hours=1), series=started)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("Did you go?") == 40


def test_cancelling_after_a_reminder_went_out_takes_it_off_the_calendar(
    client, solo, deliver_outbox, _clock
):
    session = own_session(solo, starts_at=NOW + timedelta(hours=30))
    emails.plan_for_booking(session)
    _clock.move_to(NOW + timedelta(hours=7))
    assert deliver_outbox() == 1
    mail.outbox.clear()
    client.force_login(solo)
    client.post(reverse("appointments:own_session_cancel", args=[session.pk]))
    deliver_outbox()
    [cancelled] = mail.outbox  # and no note about cancelling late: no practice policy
    assert "Your session with Ines on" in cancelled.body
    _name, ics, content_type = cancelled.attachments[0]
    calendar = Calendar.from_ical(ics)
    # iTIP's CANCEL needs an organiser who invited: an own session is published
    # again, cancelled, under the same UID and a higher SEQUENCE.
    assert calendar["METHOD"] == "PUBLISH" and "method=PUBLISH" in content_type
    event = calendar.walk("VEVENT")[0]
    assert event["SEQUENCE"] == 1 and event["STATUS"] == "CANCELLED"
    assert str(event["ORGANIZER"]) == f"mailto:{solo.email}" and "ATTENDEE" not in event
