"""After a safety alert the therapist sees how to reach the patient (the phone number
the patient gave, or plainly that they gave none) and records what they did and
when: one form sent is one record, however often it is sent. Every therapist caring
for the patient sees the records; nobody else reaches the alert."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessRecord
from core.submissions import new_token
from journal.models import SafetyAlert, SafetyContact
from tests.conftest import PEOPLE, assert_access
from tests.factories import CareLinkFactory


@pytest.fixture
def alert(patient):
    return SafetyAlert.objects.create(
        patient=patient,
        source=SafetyAlert.Source.DAILY_LOG,
        created_at=timezone.now() - timedelta(hours=2),
    )


def alert_url(alert) -> str:
    return reverse("journal:safety_alert", args=[alert.pk])


def local(moment, person) -> str:
    """What a datetime-local input sends, in that person's time zone."""
    return timezone.localtime(moment, person.zone).strftime("%Y-%m-%dT%H:%M")


def contact(therapist, **overrides) -> dict:
    return {
        "contacted_at": local(timezone.now() - timedelta(minutes=30), therapist),
        "note": "Phoned, we spoke for ten minutes; session booked for tomorrow.",
        "submission_token": new_token(),
        **overrides,
    }


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_alert_is_its_patients_therapists_alone(client, people, alert, person, method):
    data = contact(people["therapist"]) if method == "post" else None
    expected = {"get": 200, "post": 302}[method] if person == "therapist" else 404
    assert_access(client, people[person], method, alert_url(alert), expected, data)
    assert SafetyContact.objects.count() == (1 if expected == 302 else 0)


def test_an_ended_care_closes_it(client, therapist, patient, alert):
    patient.therapist_links.update(ended_at=timezone.now())
    client.force_login(therapist)
    assert client.get(alert_url(alert)).status_code == 404


def test_the_page_shows_the_phone_number_as_a_call_link(client, therapist, patient, alert):
    patient.phone = "+1 (212) 555-0100"
    patient.save()
    client.force_login(therapist)
    page = client.get(alert_url(alert)).content.decode()
    assert '<a class="btn btn-primary" href="tel:+12125550100">Call +1 (212) 555-0100</a>' in page
    assert f'href="mailto:{patient.email}"' in page


def test_the_page_says_plainly_when_no_number_was_given(client, therapist, alert):
    client.force_login(therapist)
    page = client.get(alert_url(alert)).content.decode()
    assert "No phone number given." in page
    assert "tel:" not in page


def test_opening_it_is_on_the_record(client, therapist, patient, alert):
    client.force_login(therapist)
    client.get(alert_url(alert))
    [read] = AccessRecord.objects.all()
    assert (read.viewer, read.patient, read.kind, read.object_id) == (
        therapist,
        patient,
        "safety_alert",
        str(alert.pk),
    )


def test_recording_a_contact_keeps_what_was_said_and_marks_the_alert_seen(client, therapist, alert):
    client.force_login(therapist)
    when = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=45)
    data = contact(therapist, contacted_at=local(when, therapist))
    response = client.post(alert_url(alert), data)
    assert response.status_code == 302
    assert response.url == alert_url(alert)
    [saved] = SafetyContact.objects.all()
    assert (saved.therapist, saved.contacted_at) == (therapist, when)
    assert saved.note.startswith("Phoned, we spoke")
    alert.refresh_from_db()
    assert alert.acknowledged_by == therapist
    page = client.get(response.url).content.decode()
    assert "Phoned, we spoke for ten minutes" in page
    assert "Marked as seen by Dana Reyes" in page


def test_the_words_are_encrypted_at_rest(client, therapist, alert):
    client.force_login(therapist)
    client.post(alert_url(alert), contact(therapist, note="Zebraquill phoned"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM journal_safetycontact")
        [(stored,)] = cursor.fetchall()
    assert "Zebraquill" not in stored


def test_one_form_sent_twice_is_one_record(client, therapist, alert):
    client.force_login(therapist)
    data = contact(therapist)
    first = client.post(alert_url(alert), data)
    again = client.post(alert_url(alert), data)
    assert again.status_code == 302 and again.url == first.url
    assert SafetyContact.objects.count() == 1
    # A second contact, on a fresh form, is a second record.
    client.post(alert_url(alert), contact(therapist, note="Called back in the evening"))
    assert SafetyContact.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"note": ""}, "This field is required."),
        ({"contacted_at": ""}, "This field is required."),
        ({"contacted_at": "yesterday-ish"}, "Enter a valid date/time."),
        ({"contacted_at": "2999-01-01T10:00"}, "That is still to come"),
        ({"contacted_at": "2001-01-01T10:00"}, "That is before the alert was raised."),
        ({"note": "x" * 1001}, "at most 1000 characters"),
    ],
)
def test_a_form_with_a_mistake_saves_nothing_and_says_why(
    client, therapist, alert, overrides, says
):
    client.force_login(therapist)
    response = client.post(alert_url(alert), contact(therapist, **overrides))
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not SafetyContact.objects.exists()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_every_therapist_caring_for_the_patient_sees_what_was_done(
    client, therapist, other_therapist, patient, alert
):
    CareLinkFactory(therapist=other_therapist, patient=patient)
    client.force_login(therapist)
    client.post(alert_url(alert), contact(therapist))
    client.force_login(other_therapist)
    page = client.get(alert_url(alert)).content.decode()
    assert "Phoned, we spoke for ten minutes" in page
    assert "Dana Reyes" in page


def test_looking_at_the_alert_changes_nothing(client, therapist, alert):
    client.force_login(therapist)
    client.get(alert_url(alert))
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    assert not SafetyContact.objects.exists()


def test_the_patients_download_holds_what_was_done(client, therapist, patient, alert):
    import io
    import json
    import zipfile

    client.force_login(therapist)
    client.post(alert_url(alert), contact(therapist))
    client.force_login(patient)
    archive = zipfile.ZipFile(io.BytesIO(client.post(reverse("prep:my_data")).content))
    [row] = json.loads(archive.read("safety_contacts.json"))
    assert row["therapist"] == "Dana Reyes"
    assert row["what_they_did"].startswith("Phoned")
