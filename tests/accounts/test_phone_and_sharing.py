"""Two choices on a patient's settings page, both theirs alone: a phone number their
therapist may use after a safety alert (optional, checked, encrypted, nothing stored
when left empty), and whether their therapist sees their week at a glance (nothing
ticked until they answer). Therapists and managers are asked neither."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD

PROFILE = reverse("accounts:profile")


def save(client, person, **fields):
    client.force_login(person)
    data = {"first_name": person.first_name, "last_name": person.last_name,
            "timezone": person.timezone, **fields}  # fmt: skip
    return client.post(PROFILE, data)


def stored(person, column: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_user WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_patient_is_asked_with_nothing_chosen_for_them(client, patient):
    client.force_login(patient)
    page = client.get(PROFILE).content.decode()
    assert 'type="tel"' in page and 'name="phone"' in page
    assert page.count('name="shares_overview"') == 2
    assert "checked" not in page.split('name="shares_overview"')[1].split(">")[0]
    assert "checked" not in page.split('name="shares_overview"')[2].split(">")[0]


@pytest.mark.parametrize("who", ["therapist", "manager"])
def test_staff_are_asked_neither(client, people, who):
    person = people[who]
    client.force_login(person)
    page = client.get(PROFILE).content.decode()
    assert 'name="phone"' not in page and 'name="shares_overview"' not in page
    save(client, person, phone="07700 900123", shares_overview="True")
    person.refresh_from_db()
    assert (person.phone, person.shares_overview) == (None, None)


def test_a_phone_number_is_kept_as_written_and_encrypted(client, patient):
    assert save(client, patient, phone="  +44  7700 900123 ").status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+44 7700 900123"
    assert "7700" not in stored(patient, "phone")


def test_an_empty_phone_number_is_stored_as_nothing(client, patient):
    save(client, patient, phone="07700 900123")
    save(client, patient, phone="   ")
    assert stored(patient, "phone") is None
    save(client, patient)
    assert stored(patient, "phone") is None


@pytest.mark.parametrize(
    "number",
    [
        "call me",
        "12345",
        "1234567890123456",
        "++44 7700 900123",
        "07700 900123 ext 4",
        "٠٧٧٠٠٩٠٠١٢٣",
        "javascript:alert(1)",
        "0" * 40,
    ],
)
def test_a_number_that_is_not_one_is_refused(client, patient, number):
    response = save(client, patient, phone=number)
    assert response.status_code == 400
    assert "Write a phone number with its digits" in response.content.decode()
    assert stored(patient, "phone") is None


@pytest.mark.parametrize(("answer", "kept"), [("True", True), ("False", False), ("", None)])
def test_sharing_the_week_is_what_the_patient_answered(client, patient, answer, kept):
    save(client, patient, shares_overview=answer)
    patient.refresh_from_db()
    assert patient.shares_overview is kept


def test_the_answer_given_is_shown_chosen(client, patient):
    save(client, patient, shares_overview="True")
    page = client.get(PROFILE).content.decode()
    chosen = page.split('value="True"')[1].split(">")[0]
    assert "checked" in chosen


def test_the_download_holds_both_and_erasure_forgets_both(client, patient):
    import io
    import json
    import zipfile

    save(client, patient, phone="07700 900123", shares_overview="True")
    archive = zipfile.ZipFile(io.BytesIO(client.post(reverse("prep:my_data")).content))
    [account] = json.loads(archive.read("account.json"))
    assert account["phone"] == "07700 900123"
    assert json.loads(archive.read("preferences.json"))[0]["share_week_at_a_glance"] is True

    asked = client.post(reverse("prep:delete_account"))
    client.post(asked.url, {"password": PASSWORD})
    erased = User.objects.get(pk=patient.pk)
    assert erased.is_erased
    assert stored(erased, "phone") is None and erased.shares_overview is None
