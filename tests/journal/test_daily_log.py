from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.invitations import accept_as_new_patient
from journal.entries import STARTER_SYMPTOMS
from journal.models import DailyEntry, Symptom, SymptomRating
from tests.factories import (
    DailyEntryFactory,
    InvitationFactory,
    SymptomFactory,
    SymptomRatingFactory,
)


def log_url(day: date) -> str:
    return reverse("journal:entry", args=[day])


def a_day(**overrides) -> dict:
    data = {
        "mood": "7",
        "anxiety": "3",
        "energy": "6",
        "sleep_hours": "7.5",
        "homework_done": "yes",
        "thoughts": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def test_journal_home_opens_todays_log(signed_in, patient):
    response = signed_in.get(reverse("journal:today"))
    assert response.url == log_url(patient.today())


def test_opening_a_new_patients_log_writes_nothing(signed_in, patient):
    response = signed_in.get(log_url(patient.today()))
    assert response.status_code == 200
    assert Symptom.objects.filter(patient=patient).count() == 0
    assert not DailyEntry.objects.exists()


def test_a_patient_who_joined_by_invitation_starts_with_a_short_common_symptom_list(client, db):
    invitation = InvitationFactory(email="robin@example.com")
    patient = accept_as_new_patient(
        invitation,
        password="a long enough passphrase",
        first_name="Robin",
        last_name="",
        timezone="Europe/London",
        reminder_time=time(20, 0),
    )
    client.force_login(patient)
    page = client.get(log_url(patient.today())).content.decode()
    for name in STARTER_SYMPTOMS:
        assert name in page
    assert Symptom.objects.filter(patient=patient).count() == len(STARTER_SYMPTOMS)


def test_logging_today_saves_scales_sleep_symptoms_and_homework(signed_in, patient):
    worry = SymptomFactory(patient=patient, name="Worry")
    response = signed_in.post(log_url(patient.today()), a_day(**{f"symptom_{worry.pk}": "2"}))
    assert response.status_code == 302
    entry = DailyEntry.objects.get(patient=patient)
    assert entry.day == patient.today()
    assert (entry.mood, entry.anxiety, entry.energy) == (7, 3, 6)
    assert str(entry.sleep_hours) == "7.5"
    assert entry.homework_done is True
    assert SymptomRating.objects.get(entry=entry, symptom=worry).severity == 2


def test_saving_today_again_edits_the_same_entry(signed_in, patient):
    signed_in.post(log_url(patient.today()), a_day(mood="4"))
    signed_in.post(log_url(patient.today()), a_day(mood="8", thoughts="Better evening."))
    entry = DailyEntry.objects.get(patient=patient)
    assert entry.mood == 8
    assert entry.thoughts == "Better evening."
    page = signed_in.get(log_url(patient.today())).content.decode()
    assert "Better evening." in page
    assert "You logged this day already" in page


def test_the_last_week_can_be_backfilled(signed_in, patient):
    for days_ago in (1, 7):
        day = patient.today() - timedelta(days=days_ago)
        assert signed_in.post(log_url(day), a_day()).status_code == 302
    assert DailyEntry.objects.filter(patient=patient).count() == 2


@pytest.mark.parametrize("days_from_today", [1, -8, -400])
def test_days_outside_the_window_cannot_be_logged(signed_in, patient, days_from_today):
    day = patient.today() + timedelta(days=days_from_today)
    assert signed_in.get(log_url(day)).status_code == 404
    assert signed_in.post(log_url(day), a_day()).status_code == 404
    assert not DailyEntry.objects.exists()


def test_a_malformed_date_is_a_404(signed_in):
    assert signed_in.get("/journal/2026-02-30/").status_code == 404
    assert signed_in.get("/journal/2026-13-01/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mood", "11", "less than or equal to 10"),
        ("anxiety", "-1", "greater than or equal to 0"),
        ("energy", "lots", "Enter a whole number."),
        ("mood", "", "Choose a value from 0 to 10."),
        ("sleep_hours", "25", "less than or equal to 24"),
        ("homework_done", "maybe", "Select a valid choice."),
    ],
)
def test_out_of_range_values_get_a_clear_message_and_save_nothing(
    signed_in, patient, field, value, message
):
    response = signed_in.post(log_url(patient.today()), a_day(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DailyEntry.objects.exists()


def test_a_tampered_severity_is_refused(signed_in, patient):
    worry = SymptomFactory(patient=patient, name="Worry")
    response = signed_in.post(log_url(patient.today()), a_day(**{f"symptom_{worry.pk}": "9"}))
    assert response.status_code == 400
    assert not DailyEntry.objects.exists()


def test_another_patients_symptom_cannot_be_rated(signed_in, patient, other_patient):
    theirs = SymptomFactory(patient=other_patient, name="Theirs")
    signed_in.post(log_url(patient.today()), a_day(**{f"symptom_{theirs.pk}": "3"}))
    assert not SymptomRating.objects.filter(symptom=theirs).exists()


def test_an_edit_keeps_the_day_even_if_a_day_field_is_posted(signed_in, patient):
    yesterday = patient.today() - timedelta(days=1)
    signed_in.post(log_url(patient.today()), a_day(day=str(yesterday), patient="999"))
    entry = DailyEntry.objects.get()
    assert (entry.day, entry.patient) == (patient.today(), patient)


def test_the_database_allows_one_entry_per_patient_per_day(patient):
    DailyEntryFactory(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyEntryFactory(patient=patient)


def test_symptoms_felt_recently_come_first(signed_in, patient):
    SymptomFactory(patient=patient, name="Aches")
    headaches = SymptomFactory(patient=patient, name="Headaches")
    SymptomRatingFactory(
        entry=DailyEntryFactory(patient=patient, day=patient.today() - timedelta(days=1)),
        symptom=headaches,
        severity=2,
    )
    page = signed_in.get(log_url(patient.today())).content.decode()
    assert page.index("Headaches") < page.index("Aches")


def test_a_new_day_starts_from_last_nights_sleep(signed_in, patient):
    DailyEntryFactory(patient=patient, day=patient.today() - timedelta(days=1), sleep_hours="5.5")
    page = signed_in.get(log_url(patient.today())).content.decode()
    assert 'value="5.5"' in page


def test_no_free_text_is_required(signed_in, patient):
    response = signed_in.post(
        log_url(patient.today()), {"mood": "5", "anxiety": "5", "energy": "5"}
    )
    assert response.status_code == 302


class TestLocalDates:
    """Today is the patient's own calendar day, not the server's."""

    def test_late_evening_in_utc_is_already_tomorrow_in_tokyo(self, client, patient):
        patient.timezone = "Asia/Tokyo"
        patient.save()
        client.force_login(patient)
        with time_machine.travel(datetime(2026, 6, 1, 22, 30, tzinfo=UTC)):
            client.post(reverse("journal:entry", args=[date(2026, 6, 2)]), a_day())
            assert client.get(reverse("journal:today")).url.endswith("/2026-06-02/")
        assert DailyEntry.objects.get().day == date(2026, 6, 2)

    @pytest.mark.parametrize(
        ("utc_moment", "london_day"),
        [
            # The night the clocks go forward (29 March 2026): 23:30 UTC is 00:30 BST.
            (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 28)),
            (datetime(2026, 3, 29, 23, 30, tzinfo=UTC), date(2026, 3, 30)),
            # And back (25 October 2026): 23:30 UTC is 23:30 GMT, still the same day.
            (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
            (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
        ],
    )
    def test_today_follows_london_across_daylight_saving(
        self, client, patient, utc_moment, london_day
    ):
        client.force_login(patient)
        with time_machine.travel(utc_moment):
            assert patient.today() == london_day
            assert client.get(reverse("journal:today")).url == log_url(london_day)


def test_thoughts_are_not_stored_as_plaintext(patient):
    DailyEntryFactory(patient=patient, thoughts="The secret I told nobody")
    with connection.cursor() as cursor:
        cursor.execute("SELECT thoughts FROM journal_dailyentry")
        [(raw,)] = cursor.fetchall()
    assert "secret" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert DailyEntry.objects.get().thoughts == "The secret I told nobody"
