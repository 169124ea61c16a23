import re
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


@pytest.mark.parametrize("days_from_today", [1, 30])
def test_days_still_to_come_cannot_be_opened_or_logged(signed_in, patient, days_from_today):
    day = patient.today() + timedelta(days=days_from_today)
    assert signed_in.get(log_url(day)).status_code == 404
    assert signed_in.post(log_url(day), a_day()).status_code == 404
    assert not DailyEntry.objects.exists()


@pytest.mark.parametrize("days_ago", [8, 400])
def test_a_day_before_the_window_cannot_be_logged(signed_in, patient, days_ago):
    day = patient.today() - timedelta(days=days_ago)
    response = signed_in.post(log_url(day), a_day())
    assert response.status_code == 400
    assert "can be read but no longer changed" in response.content.decode()
    assert not DailyEntry.objects.exists()


class TestAnOlderDayIsReadOnly:
    def test_a_logged_day_shows_what_was_saved_without_a_form(self, signed_in, patient):
        day = patient.today() - timedelta(days=20)
        worry = SymptomFactory(patient=patient, name="Worry")
        entry = DailyEntryFactory(
            patient=patient, day=day, mood=3, anxiety=None, energy=6, sleep_hours=None,
            thoughts="Long walk in the rain.", discuss_next_session=True,
        )  # fmt: skip
        SymptomRatingFactory(entry=entry, symptom=worry, severity=2)
        response = signed_in.get(log_url(day))
        page = response.content.decode()
        assert response.status_code == 200
        assert 'method="post"' not in page.split("<main", 1)[1].split("</main>")[0]
        assert 'name="mood"' not in page
        assert "3 of 10" in page and "6 of 10" in page
        assert page.count("Not answered") == 3  # anxiety, sleep and homework
        assert "Worry: moderate" in page
        assert "Long walk in the rain." in page
        assert "bring up in a session" in page

    def test_a_day_with_nothing_logged_says_so(self, signed_in, patient):
        response = signed_in.get(log_url(patient.today() - timedelta(days=9)))
        assert response.status_code == 200
        assert "Nothing was logged on this day." in response.content.decode()
        assert not DailyEntry.objects.exists()

    def test_another_patients_old_day_is_never_shown(self, client, patient, other_patient):
        day = patient.today() - timedelta(days=20)
        DailyEntryFactory(patient=patient, day=day, thoughts="Mine alone")
        client.force_login(other_patient)
        page = client.get(log_url(day)).content.decode()
        assert "Mine alone" not in page
        assert "Nothing was logged on this day." in page

    @pytest.mark.parametrize(
        ("zone", "before_midnight", "after_midnight"),
        [
            # 23:55 and 00:05 local on the nights the clocks change.
            ("Europe/London", datetime(2027, 3, 27, 23, 55), datetime(2027, 3, 28, 0, 5)),
            ("Europe/London", datetime(2027, 10, 30, 22, 55), datetime(2027, 10, 30, 23, 5)),
            ("America/New_York", datetime(2027, 3, 14, 4, 55), datetime(2027, 3, 14, 5, 5)),
            ("America/New_York", datetime(2027, 11, 7, 3, 55), datetime(2027, 11, 7, 4, 5)),
        ],
    )
    def test_an_edit_posted_after_the_window_closed_changes_nothing(
        self, client, patient, zone, before_midnight, after_midnight
    ):
        patient.timezone = zone
        patient.save()
        with time_machine.travel(before_midnight.replace(tzinfo=UTC), tick=False):
            client.force_login(patient)
            day = patient.today() - timedelta(days=7)  # the last day that can be changed
            DailyEntryFactory(patient=patient, day=day, mood=4)
            assert "daily-log" in client.get(log_url(day)).content.decode()
        with time_machine.travel(after_midnight.replace(tzinfo=UTC), tick=False):
            assert patient.today() == day + timedelta(days=8)
            client.force_login(patient)
            response = client.post(log_url(day), a_day(mood="9"))
        assert response.status_code == 400
        assert DailyEntry.objects.get().mood == 4


def test_a_malformed_date_is_a_404(signed_in):
    assert signed_in.get("/journal/2026-02-30/").status_code == 404
    assert signed_in.get("/journal/2026-13-01/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mood", "11", "less than or equal to 10"),
        ("anxiety", "-1", "greater than or equal to 0"),
        ("energy", "lots", "Enter a whole number."),
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


def the_form(page: str) -> str:
    return page[page.index('<form method="post" novalidate class="daily-log">') :].split("</form>")[
        0
    ]


def radios(form: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio"[^>]*name="{name}"[^>]*>', form)


class TestUnansweredStaysUnanswered:
    """Nothing is filled in for the patient: an untouched scale, sleep or symptom is
    stored as not answered, and "None" is a symptom rating they choose."""

    def test_a_new_day_starts_with_nothing_chosen(self, signed_in, patient):
        worry = SymptomFactory(patient=patient, name="Worry")
        yesterday = patient.today() - timedelta(days=1)
        DailyEntryFactory(patient=patient, day=yesterday, mood=8, sleep_hours="5.5")
        form = the_form(signed_in.get(log_url(patient.today())).content.decode())

        for scale in ("mood", "anxiety", "energy"):
            options = radios(form, scale)
            assert len(options) == 12  # 0 to 10 and "Not answered"
            assert not [radio for radio in options if "checked" in radio]
        assert len(radios(form, f"symptom_{worry.pk}")) == 5  # "–" and four severities
        assert " checked" not in form
        assert re.search(r'<input type="number"[^>]*name="sleep_hours"[^>]*value=""', form)
        assert "5.5" not in form
        assert form.count(">Not answered</label>") == 3

    def test_the_scales_are_labelled_radios_the_html_checker_accepts(self, signed_in, patient):
        SymptomFactory(patient=patient, name="Worry")
        form = the_form(signed_in.get(log_url(patient.today())).content.decode())
        assert 'type="range"' not in form
        assert " required" not in form
        assert "autocomplete" not in form
        assert re.search(
            r"<legend [^>]*><span [^>]*>Mood</span> <span [^>]*>0 very low · 10 very good<", form
        )
        for number in range(11):
            assert (
                f'<label class="btn btn-outline-primary scale-option" for="id_mood_{number}">'
                in form
            )
        assert '0<span class="visually-hidden">, Very low</span>' in form
        assert '10<span class="visually-hidden">, Very good</span>' in form

    def test_saving_untouched_records_the_day_with_nothing_answered(self, signed_in, patient):
        SymptomFactory(patient=patient, name="Worry")
        response = signed_in.post(log_url(patient.today()), {})
        assert response.status_code == 302
        entry = DailyEntry.objects.get(patient=patient)
        assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (None,) * 4
        assert entry.homework_done is None
        assert (entry.discuss_next_session, entry.self_harm_thoughts) == (False, False)
        assert not SymptomRating.objects.exists()

    def test_touching_only_mood_stores_mood_and_nothing_else(self, signed_in, patient):
        for name in ("Worry", "Poor sleep"):
            SymptomFactory(patient=patient, name=name)
        signed_in.post(log_url(patient.today()), {"mood": "6", "sleep_hours": ""})
        entry = DailyEntry.objects.get(patient=patient)
        assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (6, None, None, None)
        assert not SymptomRating.objects.exists()

    def test_none_is_a_real_answer_and_only_rated_symptoms_are_stored(self, signed_in, patient):
        worry, tired, _unrated = (
            SymptomFactory(patient=patient, name=name) for name in ("Worry", "Tired", "Aches")
        )
        signed_in.post(
            log_url(patient.today()), {f"symptom_{worry.pk}": "0", f"symptom_{tired.pk}": "2"}
        )
        assert dict(SymptomRating.objects.values_list("symptom__name", "severity")) == {
            "Worry": 0,
            "Tired": 2,
        }

    def test_editing_shows_what_was_saved(self, signed_in, patient):
        worry = SymptomFactory(patient=patient, name="Worry")
        SymptomFactory(patient=patient, name="Aches")
        entry = DailyEntryFactory(patient=patient, mood=0, anxiety=None, energy=7, sleep_hours=6)
        SymptomRatingFactory(entry=entry, symptom=worry, severity=0)
        form = the_form(signed_in.get(log_url(patient.today())).content.decode())
        checked = re.findall(r'<input type="radio"[^>]*id="([^"]+)"[^>]*checked>', form)
        assert sorted(checked) == sorted(["id_mood_0", "id_energy_7", f"id_symptom_{worry.pk}_0"])
        assert re.search(r'name="sleep_hours"[^>]*value="6(\.0)?"', form)

    def test_a_scale_and_a_symptom_can_be_set_back_to_not_answered(self, signed_in, patient):
        worry = SymptomFactory(patient=patient, name="Worry")
        tired = SymptomFactory(patient=patient, name="Tired")
        entry = DailyEntryFactory(patient=patient, mood=6, anxiety=4, energy=5, sleep_hours=7)
        SymptomRatingFactory(entry=entry, symptom=worry, severity=2)
        SymptomRatingFactory(entry=entry, symptom=tired, severity=1)
        response = signed_in.post(
            log_url(patient.today()),
            {
                "mood": "",  # the "Not answered" radio
                "anxiety": "4",
                "energy": "5",
                "sleep_hours": "",
                f"symptom_{worry.pk}": "",
                f"symptom_{tired.pk}": "3",
            },
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.mood, entry.anxiety, entry.energy, entry.sleep_hours) == (None, 4, 5, None)
        assert dict(SymptomRating.objects.values_list("symptom__name", "severity")) == {"Tired": 3}

    def test_a_retired_symptoms_old_rating_survives_an_edit(self, signed_in, patient):
        gone = SymptomFactory(patient=patient, name="Old worry")
        entry = DailyEntryFactory(patient=patient)
        SymptomRatingFactory(entry=entry, symptom=gone, severity=2)
        Symptom.objects.filter(pk=gone.pk).update(retired_at=entry.created_at)
        signed_in.post(log_url(patient.today()), {"mood": "5"})
        assert SymptomRating.objects.get().severity == 2

    def test_the_self_harm_question_stands_apart_from_the_other_ticks_and_save(
        self, signed_in, patient
    ):
        form = the_form(signed_in.get(log_url(patient.today())).content.decode())
        safety = form[form.index('<fieldset class="safety-check">') :].split("</fieldset>")[0]
        assert 'name="self_harm_thoughts"' in safety
        assert 'name="discuss_next_session"' not in safety
        assert 'type="submit"' not in safety


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
