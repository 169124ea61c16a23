"""Flash messages are encrypted in the session row until the next page shows them."""

import zlib

import pytest
from django.core import signing
from django.db import connection
from django.urls import reverse

from appointments.models import Appointment
from tests.factories import AppointmentFactory, _yesterday_on_the_hour


def raw_session_rows() -> list[str]:
    """Each django_session row as someone holding a copy of the table reads it: the
    signature needs SECRET_KEY to check, but the payload is only base64 (and maybe
    zlib), so no key is needed to read it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        rows = [row[0] for row in cursor.fetchall()]
    readable = []
    for row in rows:
        payload = row.split(":")[0]
        data = signing.b64_decode(payload.lstrip(".").encode())
        if payload.startswith("."):
            data = zlib.decompress(data)
        readable.append(data.decode())
    return readable


@pytest.fixture
def past_session(therapist, patient):
    return AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=_yesterday_on_the_hour()
    )


@pytest.mark.django_db
def test_a_message_naming_an_event_is_unreadable_in_the_session_row(
    client, therapist, past_session
):
    client.force_login(therapist)
    response = client.post(
        reverse("appointments:appointment_outcome", args=[past_session.pk]),
        {"outcome": Appointment.Outcome.NO_SHOW},
    )
    assert response.status_code == 302

    # The default session engine keeps sessions in the database.
    rows = raw_session_rows()
    assert rows
    assert "_messages" in client.session
    for row in rows:
        assert "Did not attend" not in row
        assert "Recorded" not in row

    page = client.get(response.url, follow=True)
    assert "Recorded: Did not attend." in page.content.decode()
    # Shown once, then gone.
    assert "Recorded: Did not attend." not in client.get(response.url, follow=True).content.decode()


@pytest.mark.django_db
def test_a_message_naming_a_person_is_unreadable_in_the_session_row(client, therapist):
    client.force_login(therapist)
    response = client.post(
        reverse("accounts:invite_patient"),
        {"email": "riley.quinn@example.com", "first_name": "Riley"},
    )
    assert response.status_code == 302
    for row in raw_session_rows():
        assert "riley" not in row.lower()
    page = client.get(response.url)
    assert "riley.quinn@example.com" in page.content.decode()


@pytest.mark.django_db
def test_a_message_stored_in_plain_json_before_the_change_is_dropped_not_shown(client, therapist):
    client.force_login(therapist)
    session = client.session
    session["_messages"] = '[["__json_message",0,25,"Old note about Sam"]]'
    session.save()
    page = client.get(reverse("accounts:patient_list"))
    assert page.status_code == 200
    assert "Old note about Sam" not in page.content.decode()
