"""The safety path for a patient whose therapist isn't on the app (a "solo" patient,
no active care link): the form says beforehand that nobody is notified, the page
after says nobody was and why, with the crisis numbers first, and no email to any
therapist is written. A patient with a therapist keeps the check-in."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from journal.emails import SAFETY_ALERT
from journal.models import SafetyAlert
from notifications.models import Message
from tests.factories import UserFactory

HARM = {"mood": "2", "self_harm_thoughts": "on"}
PROMISES = ("We’ve let", "asked your therapist", "your therapist to check in", "check in with you")


def phq9_with_item_nine(value: int) -> dict:
    return {f"item_{n}": "0" for n in range(1, 9)} | {"item_9": str(value)}


@pytest.fixture
def solo(db):
    return UserFactory(first_name="Robin", last_name="Hale")


def report(client, patient, path):
    if path == "daily_log":
        return client.post(reverse("journal:entry", args=[patient.today()]), HARM)
    return client.post(reverse("journal:measure_new", args=["phq9"]), phq9_with_item_nine(1))


def test_the_daily_log_says_beforehand_that_nobody_is_notified(client, solo):
    client.force_login(solo)
    page = client.get(reverse("journal:entry", args=[solo.today()])).content.decode()
    assert "Nobody is notified: your therapist isn’t on Between Sessions." in page
    assert "asks your therapist to check in" not in page


def test_with_a_therapist_the_daily_log_still_offers_the_check_in(client, patient):
    client.force_login(patient)
    page = client.get(reverse("journal:entry", args=[patient.today()])).content.decode()
    assert "asks your therapist to check in" in page
    assert "Nobody is notified" not in page


@pytest.mark.parametrize("path", ["daily_log", "phq9"])
def test_a_solo_patient_is_told_nobody_was_notified_and_given_the_numbers(
    client, solo, therapist, manager, path, deliver_outbox
):
    client.force_login(solo)
    response = report(client, solo, path)
    assert response.status_code == 302
    alert = SafetyAlert.objects.get(patient=solo)
    page = client.get(response.url).content.decode()
    assert "Nobody has been notified about this answer." in page
    assert "Your therapist isn’t on Between Sessions, so no one here is told." in page
    for promise in PROMISES:
        assert promise not in page
    # The crisis numbers come straight after, each one tap away.
    said = page.index("Nobody has been notified")
    numbers = re.findall(r'href="(tel:[^"]+)"', page[said:])
    assert numbers
    assert page.index("Talk to someone now") > said
    # No email to any therapist (or anyone) is queued, now or after a dispatch.
    assert not Message.objects.filter(kind=SAFETY_ALERT).exists()
    assert not Message.objects.filter(target_id=alert.pk).exists()
    assert deliver_outbox() == 0


@pytest.mark.parametrize("person", ["therapist", "other_therapist", "manager"])
def test_a_solo_patients_alert_reaches_no_therapist_or_manager(request, solo, person, settings):
    settings.REQUIRE_STAFF_MFA = False
    client = Client()
    client.force_login(solo)
    report(client, solo, "daily_log")
    alert = SafetyAlert.objects.get(patient=solo)
    staff = Client()
    staff.force_login(request.getfixturevalue(person))
    assert staff.get(reverse("journal:safety_alert", args=[alert.pk])).status_code == 404
    home = staff.get(reverse("home"), follow=True).content.decode()
    assert "Robin" not in home and solo.email not in home


def test_a_patient_with_a_therapist_keeps_the_check_in(client, patient, therapist):
    client.force_login(patient)
    response = report(client, patient, "daily_log")
    page = client.get(response.url).content.decode()
    assert "We’ve let Dana Reyes know about your answer" in page
    assert "Nobody has been notified" not in page
    assert Message.objects.filter(kind=SAFETY_ALERT, recipient=therapist).count() == 1
