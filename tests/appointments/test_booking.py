import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from appointments.booking import BookingError, save_booking
from appointments.forms import AppointmentForm
from appointments.models import Appointment
from prep.views import DASHBOARD_ROWS
from tests.appointments.form_page import read_form, submit
from tests.factories import AppointmentFactory, CareLinkFactory, UserFactory

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed_in(client, therapist):
    client.force_login(therapist)
    return client


def booking(patient, **overrides) -> dict:
    data = {
        "patient": patient.pk,
        "day": "2026-03-23",
        "start": "14:00",
        "duration": "50",
        "kind": "in_person",
        "location": "Room 2",
    }
    data.update(overrides)
    return data


def test_a_therapist_books_a_session_in_their_own_time_zone(signed_in, therapist, patient):
    therapist.timezone = "America/New_York"
    therapist.save()
    response = signed_in.post(reverse("appointments:appointment_new"), booking(patient))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    # 14:00 in New York on 23 March (EDT, UTC-4) is 18:00 UTC.
    assert appointment.starts_at == datetime(2026, 3, 23, 18, 0, tzinfo=UTC)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=50)


def test_the_patient_sees_it_in_their_own_time_zone(client, signed_in, patient):
    signed_in.post(reverse("appointments:appointment_new"), booking(patient))
    patient.timezone = "Asia/Tokyo"
    patient.save()
    client.force_login(patient)
    page = client.get(reverse("prep:session_list")).content.decode()
    # 14:00 GMT on 23 March is 23:00 in Tokyo.
    assert "Monday 23 March, 23:00" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": "2026-03-19"}, "Choose a time in the future."),
        ({"day": "not-a-date"}, "Enter a valid date."),
        ({"start": "25:00"}, "Enter a valid time."),
        ({"duration": "0"}, "Select a valid choice."),
        ({"kind": "video", "location": "not a link"}, "Enter a valid URL."),
        ({"location": "x" * 301}, "at most 300 characters"),
        # The clocks go forward at 01:00 on 29 March in London: 01:30 never happens.
        ({"day": "2026-03-29", "start": "01:30"}, "doesn’t exist on this day"),
    ],
)
def test_bad_bookings_get_a_clear_message_and_save_nothing(signed_in, patient, overrides, message):
    response = signed_in.post(
        reverse("appointments:appointment_new"), booking(patient, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_therapist_cannot_be_double_booked(signed_in, therapist, patient):
    signed_in.post(reverse("appointments:appointment_new"), booking(patient))
    other = UserFactory()
    CareLinkFactory(therapist=therapist, patient=other)
    response = signed_in.post(
        reverse("appointments:appointment_new"), booking(other, start="14:30")
    )
    assert response.status_code == 400
    assert "You already have a session then (14:00–14:50)" in response.content.decode()
    # Shown on the start time, the field to change.
    assert response.context["form"].errors["start"] == [
        "You already have a session then (14:00–14:50)."
    ]
    assert Appointment.objects.count() == 1
    # Back to back is fine.
    assert (
        signed_in.post(
            reverse("appointments:appointment_new"), booking(other, start="14:50")
        ).status_code
        == 302
    )


def test_a_booking_racing_another_for_the_same_hour_is_refused_on_save(therapist, patient):
    """GIVEN a form that found the hour free WHEN another booking takes the hour
    before this one is saved THEN saving refuses it with the same message."""
    form = AppointmentForm(booking(patient), therapist=therapist)
    assert form.is_valid()
    AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=datetime(2026, 3, 23, 14, 20, tzinfo=UTC)
    )
    with pytest.raises(BookingError, match=r"You already have a session then \(14:20–"):
        save_booking(form.save(commit=False))
    assert Appointment.objects.count() == 1


def test_a_cancelled_session_frees_the_time(signed_in, therapist, patient):
    AppointmentFactory(
        therapist=therapist, patient=patient,
        starts_at=datetime(2026, 3, 23, 14, 0, tzinfo=UTC),
        outcome=Appointment.Outcome.CANCELLED_BY_PATIENT,
    )  # fmt: skip
    assert (
        signed_in.post(reverse("appointments:appointment_new"), booking(patient)).status_code == 302
    )


def test_only_the_therapists_own_patients_can_be_booked(signed_in, patient, other_patient):
    response = signed_in.post(reverse("appointments:appointment_new"), booking(other_patient))
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Appointment.objects.exists()


def test_moving_a_session_changes_its_time_and_sequence(signed_in, therapist, patient):
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=datetime(2026, 3, 23, 14, tzinfo=UTC)
    )
    response = signed_in.post(
        reverse("appointments:appointment_edit", args=[appointment.pk]),
        booking(patient, day="2026-03-24", start="10:00", duration="60"),
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == datetime(2026, 3, 24, 10, tzinfo=UTC)
    assert appointment.duration_minutes == 60
    assert appointment.sequence == 1


def test_moving_onto_itself_is_not_a_clash(signed_in, therapist, patient):
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=datetime(2026, 3, 23, 14, tzinfo=UTC)
    )
    response = signed_in.post(
        reverse("appointments:appointment_edit", args=[appointment.pk]),
        booking(patient, start="14:20"),
    )
    assert response.status_code == 302


class TestTheDateInput:
    """A date input shows only an ISO date (YYYY-MM-DD): a locale's 21/03/2026 leaves
    it blank, and the form then asks for a date the person never took out."""

    def test_the_booking_form_shows_tomorrow(self, signed_in, patient):
        form = read_form(signed_in.get(reverse("appointments:appointment_new")).content.decode())
        assert form.inputs["day"]["type"] == "date"
        assert form.values["day"] == "2026-03-21"

    def test_the_move_form_shows_the_sessions_date_in_the_therapists_zone(
        self, signed_in, therapist, patient
    ):
        therapist.timezone = "America/New_York"
        therapist.save()
        # 02:00 UTC on the 24th is 22:00 on the 23rd in New York (EDT).
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=datetime(2026, 3, 24, 2, tzinfo=UTC)
        )
        url = reverse("appointments:appointment_edit", args=[appointment.pk])
        form = read_form(signed_in.get(url).content.decode())
        assert (form.values["day"], form.values["start"]) == ("2026-03-23", "22:00")

    def test_moving_only_the_time_keeps_the_date(self, signed_in, therapist, patient):
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, location="Room 2",
            starts_at=datetime(2026, 3, 23, 14, tzinfo=UTC),
        )  # fmt: skip
        url = reverse("appointments:appointment_edit", args=[appointment.pk])
        response = submit(signed_in, url, start="16:30")
        assert response.status_code == 302
        appointment.refresh_from_db()
        assert appointment.starts_at == datetime(2026, 3, 23, 16, 30, tzinfo=UTC)
        assert appointment.duration_minutes == 50
        assert appointment.location == "Room 2"

    def test_booking_with_only_what_the_form_offers_works(self, signed_in, patient):
        response = submit(
            signed_in, reverse("appointments:appointment_new"), start="09:00", location="Room 2"
        )
        assert response.status_code == 302
        assert Appointment.objects.get().starts_at == datetime(2026, 3, 21, 9, tzinfo=UTC)


def test_cancelling_records_who_cancelled(signed_in, therapist, patient):
    appointment = AppointmentFactory(therapist=therapist, patient=patient)
    signed_in.post(reverse("appointments:appointment_cancel", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.outcome == Appointment.Outcome.CANCELLED_BY_THERAPIST
    signed_in.post(reverse("appointments:appointment_cancel", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.outcome == Appointment.Outcome.CANCELLED_BY_THERAPIST


class TestAttendance:
    def test_it_is_recorded_once_the_session_has_started(self, signed_in, therapist, patient):
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=NOW - timedelta(hours=1)
        )
        page = signed_in.get(reverse("prep:therapist_dashboard")).content.decode()
        assert "How did these sessions go?" in page
        signed_in.post(
            reverse("appointments:appointment_outcome", args=[appointment.pk]), {"outcome": "late"}
        )
        appointment.refresh_from_db()
        assert appointment.outcome == Appointment.Outcome.LATE
        page = signed_in.get(reverse("prep:therapist_dashboard")).content.decode()
        assert "How did these sessions go?" not in page

    def test_not_before_it_starts(self, signed_in, therapist, patient):
        appointment = AppointmentFactory(therapist=therapist, patient=patient)
        response = signed_in.post(
            reverse("appointments:appointment_outcome", args=[appointment.pk]),
            {"outcome": "attended"},
            follow=True,
        )
        assert "once the session has started" in response.content.decode()
        appointment.refresh_from_db()
        assert appointment.outcome == ""

    def test_a_made_up_outcome_is_refused(self, signed_in, therapist, patient):
        appointment = AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=NOW - timedelta(hours=1)
        )
        signed_in.post(
            reverse("appointments:appointment_outcome", args=[appointment.pk]),
            {"outcome": "excused"},
        )
        appointment.refresh_from_db()
        assert appointment.outcome == ""

    def test_the_patient_sees_their_attendance_history(self, client, therapist, patient):
        AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=NOW - timedelta(days=7),
            outcome=Appointment.Outcome.NO_SHOW,
        )  # fmt: skip
        client.force_login(patient)
        page = client.get(reverse("prep:session_list")).content.decode()
        assert "Did not attend" in page


def test_the_dashboard_costs_the_same_queries_for_few_and_many(
    signed_in, therapist, django_assert_max_num_queries
):
    def add_patients(count):
        for n in range(count):
            patient = UserFactory()
            CareLinkFactory(therapist=therapist, patient=patient)
            AppointmentFactory(
                therapist=therapist, patient=patient, starts_at=NOW + timedelta(hours=2 + n)
            )
            AppointmentFactory(
                therapist=therapist, patient=patient, starts_at=NOW - timedelta(hours=30 + n)
            )

    add_patients(2)
    with django_assert_max_num_queries(12) as few:
        signed_in.get(reverse("prep:therapist_dashboard"))
    add_patients(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(reverse("prep:therapist_dashboard")).content.decode()
    # The earliest sessions still to record are listed, and the page says there are
    # more (each one recorded brings the next).
    assert page.count('name="outcome"') == DASHBOARD_ROWS
    assert "These are the earliest; record them to see the rest." in page


class TestTheLocationIsEncrypted:
    """Where a session happens (a home address, a private video room) is stored
    encrypted; the form is still one line, and video links are still checked."""

    @staticmethod
    def raw_location() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT location FROM appointments_appointment")
            [(value,)] = cursor.fetchall()
        return value

    def test_a_room_is_stored_encrypted_and_read_back(self, signed_in, patient):
        response = signed_in.post(
            reverse("appointments:appointment_new"),
            booking(patient, location=" 14 Harbour Street, flat 3 "),
        )
        assert response.status_code == 302
        assert "Harbour" not in self.raw_location()
        assert Appointment.objects.get().location == "14 Harbour Street, flat 3"

    def test_a_video_link_is_checked_then_stored_encrypted(self, signed_in, patient):
        response = signed_in.post(
            reverse("appointments:appointment_new"),
            booking(patient, kind="video", location="video.example.org/room/42"),
        )
        assert response.status_code == 302
        assert "example" not in self.raw_location()
        assert Appointment.objects.get().location == "https://video.example.org/room/42"

    def test_no_location_stays_empty(self, signed_in, patient):
        signed_in.post(reverse("appointments:appointment_new"), booking(patient, location=""))
        assert self.raw_location() == ""

    def test_the_location_is_a_single_line_of_at_most_300_characters(self, signed_in, patient):
        page = signed_in.get(reverse("appointments:appointment_new")).content.decode()
        [field] = re.findall(r'<input[^>]*name="location"[^>]*>', page)
        assert 'type="text"' in field
        assert 'maxlength="300"' in field
        assert '<textarea name="location"' not in page
