"""Entries saved on a phone while offline, sent later to journal:sync: each one is
added once however often it is sent, the later of two edits of a day is kept and
the person is told, bad input is refused with words, and nobody but the patient
can write through it or read what it answered."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core.submissions import new_token
from journal.models import DailyEntry, SafetyAlert, SymptomRating
from tests.conftest import PEOPLE, assert_access
from tests.factories import DailyEntryFactory, SymptomFactory, SymptomRatingFactory

SYNC = reverse("journal:sync")
# A summer afternoon in London (UTC+1): the patient's today is 2026-07-14.
NOW = datetime(2026, 7, 14, 15, 0, tzinfo=UTC)
DAY = "2026-07-14"


@pytest.fixture
def signed_in(client, patient):
    client.force_login(patient)
    return client


def queued(day=DAY, edited_at=NOW - timedelta(minutes=30), opened_at=None, **answers):
    opened_at = opened_at or edited_at - timedelta(minutes=2)
    return {
        "submission_token": new_token(),
        "day": day,
        "edited_at": edited_at.isoformat(),
        "opened_at": opened_at.isoformat(),
        **{name: str(value) for name, value in answers.items()},
    }


def send(client, data):
    return client.post(SYNC, data, follow=True, HTTP_ACCEPT="application/json")


@time_machine.travel(NOW, tick=False)
def test_a_queued_entry_becomes_the_days_entry_with_the_time_save_was_pressed(signed_in, patient):
    pressed = NOW - timedelta(hours=2)
    answer = send(signed_in, queued(edited_at=pressed, mood=4, sleep_hours="6.5", thoughts="Rain"))

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "sent",
        "day": DAY,
        "message": "Your log for today is saved.",
    }
    entry = DailyEntry.objects.get(patient=patient)
    assert (entry.mood, str(entry.sleep_hours), entry.thoughts) == (4, "6.5", "Rain")
    # What was not answered stays unanswered: nothing is filled in for them.
    assert (entry.anxiety, entry.energy, entry.homework_done) == (None, None, None)
    assert entry.edited_at == pressed


@time_machine.travel(NOW, tick=False)
def test_the_same_entry_sent_twice_is_saved_once_and_answers_the_same(signed_in, patient):
    data = queued(mood=6, thoughts="Walked to the park")
    first = send(signed_in, data)
    again = send(signed_in, data)

    assert DailyEntry.objects.filter(patient=patient).count() == 1
    assert DailyEntry.objects.get(patient=patient).thoughts == "Walked to the park"
    assert again.status_code == 200
    assert again.json() == first.json()
    # "You had already sent this" was for the answer, not for the next page.
    home = signed_in.get(reverse("prep:patient_home")).content.decode()
    assert "already sent" not in home


@time_machine.travel(NOW, tick=False)
def test_it_adds_to_the_day_answers_replace_and_thoughts_go_below(signed_in, patient):
    worry = SymptomFactory(patient=patient, name="Worry")
    saved = DailyEntryFactory(
        patient=patient, mood=3, anxiety=7, thoughts="Morning was hard", homework_done=True
    )
    SymptomRatingFactory(entry=saved, symptom=worry, severity=2)
    DailyEntry.objects.filter(pk=saved.pk).update(edited_at=NOW - timedelta(hours=5))

    send(signed_in, queued(mood=6, thoughts="Evening was better"))

    saved.refresh_from_db()
    assert (saved.mood, saved.anxiety, saved.homework_done) == (6, 7, True)
    assert saved.thoughts == "Morning was hard\n\nEvening was better"
    # No symptom was on the offline form, so the saved rating stays.
    assert SymptomRating.objects.get(entry=saved).severity == 2


@time_machine.travel(NOW, tick=False)
def test_symptoms_rated_before_the_connection_dropped_are_saved_and_only_the_patients_own(
    signed_in, patient, other_patient
):
    worry = SymptomFactory(patient=patient, name="Worry")
    theirs = SymptomFactory(patient=other_patient, name="Worry")

    send(signed_in, queued(**{f"symptom_{worry.pk}": 3, f"symptom_{theirs.pk}": 1}))

    assert list(SymptomRating.objects.values_list("symptom_id", "severity")) == [(worry.pk, 3)]


@time_machine.travel(NOW, tick=False)
def test_a_later_edit_on_another_device_is_kept_and_the_phone_is_told(signed_in, patient):
    """GIVEN the day was saved on a laptop at 15:00 London time (14:00 UTC)
    WHEN the phone's entry, saved at 14:30 London time, arrives afterwards
    THEN the laptop's answers stay and the phone hears why its own were not added."""
    saved = DailyEntryFactory(patient=patient, mood=7, thoughts="From the laptop")
    DailyEntry.objects.filter(pk=saved.pk).update(edited_at=NOW - timedelta(hours=1))

    answer = send(signed_in, queued(edited_at=NOW - timedelta(minutes=90), mood=2))

    saved.refresh_from_db()
    assert (saved.mood, saved.thoughts) == (7, "From the laptop")
    assert answer.json()["conflict"] == (
        "This day was also changed on another device at 15:00 on Tuesday 14 July; "
        "the later one was kept, so what this phone saved for today was not added."
    )


@time_machine.travel(NOW, tick=False)
def test_a_phone_edit_later_than_the_other_device_is_kept_and_says_so(signed_in, patient):
    saved = DailyEntryFactory(patient=patient, mood=7)
    DailyEntry.objects.filter(pk=saved.pk).update(edited_at=NOW - timedelta(hours=1))

    answer = send(
        signed_in,
        queued(opened_at=NOW - timedelta(hours=2), edited_at=NOW - timedelta(minutes=10), mood=2),
    )

    saved.refresh_from_db()
    assert saved.mood == 2
    assert saved.edited_at == NOW - timedelta(minutes=10)
    assert answer.json()["conflict"] == (
        "This day was also changed on another device at 15:00 on Tuesday 14 July; "
        "the later one, from this phone, was kept."
    )


@time_machine.travel(NOW, tick=False)
def test_an_edit_saved_before_the_phone_form_was_opened_is_no_conflict(signed_in, patient):
    saved = DailyEntryFactory(patient=patient, mood=7)
    DailyEntry.objects.filter(pk=saved.pk).update(edited_at=NOW - timedelta(hours=3))

    answer = send(signed_in, queued(opened_at=NOW - timedelta(hours=1), mood=5))

    assert "conflict" not in answer.json()
    saved.refresh_from_db()
    assert saved.mood == 5


@time_machine.travel(NOW, tick=False)
def test_a_phone_clock_running_fast_does_not_win_every_later_edit(signed_in, patient):
    send(signed_in, queued(edited_at=NOW + timedelta(days=1), mood=5))

    assert DailyEntry.objects.get(patient=patient).edited_at == NOW


def test_the_two_tap_mood_and_the_full_form_record_when_they_were_saved(signed_in, patient):
    with time_machine.travel(NOW, tick=False):
        signed_in.post(reverse("journal:quick_mood"), {"day": DAY, "mood": "5"})
        assert DailyEntry.objects.get(patient=patient).edited_at == NOW
    later = NOW + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        signed_in.post(reverse("journal:entry", args=[date.fromisoformat(DAY)]), {"mood": "6"})
        assert DailyEntry.objects.get(patient=patient).edited_at == later


@time_machine.travel(NOW, tick=False)
def test_self_harm_in_a_queued_entry_takes_the_safety_path_and_points_to_help(
    signed_in, patient, therapist, deliver_outbox
):
    answer = send(signed_in, queued(mood=1, self_harm_thoughts="on")).json()

    alert = SafetyAlert.objects.get(patient=patient)
    assert answer["support_url"] == f"{reverse('journal:support')}?alert={alert.pk}"
    deliver_outbox()
    assert [message.to for message in mail.outbox] == [[therapist.email]]


@time_machine.travel(NOW, tick=False)
def test_self_harm_is_recorded_even_when_the_other_devices_edit_is_kept(signed_in, patient):
    saved = DailyEntryFactory(patient=patient, mood=7)
    DailyEntry.objects.filter(pk=saved.pk).update(edited_at=NOW - timedelta(minutes=5))

    answer = send(signed_in, queued(mood=1, self_harm_thoughts="on")).json()

    saved.refresh_from_db()
    assert (saved.mood, saved.self_harm_thoughts) == (7, True)
    assert "conflict" in answer and "support_url" in answer
    assert SafetyAlert.objects.filter(entry=saved).count() == 1


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (queued(day="2026-07-01", mood=3), "Days more than a week ago can be read but no longer"),
        (queued(day="2026-07-15", mood=3), "A day still to come can’t be logged."),
        (queued(mood=11), "This entry couldn’t be read, so it wasn’t saved."),
        (queued(sleep_hours="25"), "This entry couldn’t be read, so it wasn’t saved."),
        ({**queued(mood=3), "edited_at": "yesterday"}, "This entry couldn’t be read"),
        ({**queued(mood=3), "edited_at": "2026-07-14T14:00:00"}, "This entry couldn’t be read"),
    ],
)
def test_bad_input_is_refused_with_words_and_saves_nothing(signed_in, patient, data, message):
    answer = send(signed_in, data)

    assert answer.status_code == 400
    assert answer.json()["status"] == "refused"
    assert answer.json()["message"].startswith(message)
    assert not DailyEntry.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_refused_entry_gives_its_token_back_for_the_corrected_one(signed_in, patient):
    data = queued(mood=11)
    assert send(signed_in, data).status_code == 400

    assert send(signed_in, {**data, "mood": "4"}).status_code == 200
    assert DailyEntry.objects.get(patient=patient).mood == 4


@time_machine.travel(NOW, tick=False)
def test_the_sync_point_gives_a_signed_in_patient_a_csrf_token_and_writes_nothing(signed_in):
    answer = signed_in.get(SYNC)

    assert answer.status_code == 200
    assert len(answer.json()["csrf_token"]) >= 32
    assert not DailyEntry.objects.exists()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("person", PEOPLE)
def test_only_the_patient_can_send_an_entry(client, people, person):
    expected = 200 if person in ("patient", "other_patient") else 404
    assert_access(client, people[person], "get", SYNC, expected)
    client.logout()
    data = queued(mood=3)
    assert_access(client, people[person], "post", SYNC, 302 if expected == 200 else 404, data)
    if expected == 200:
        # Saved for whoever is signed in, never for someone named in the request.
        assert DailyEntry.objects.get().patient == people[person]
    else:
        assert not DailyEntry.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_another_patient_cannot_replay_a_token_or_read_its_answer(client, patient, other_patient):
    data = queued(mood=3, thoughts="Mine")
    client.force_login(patient)
    done = client.post(SYNC, data)
    client.force_login(other_patient)

    replay = client.post(SYNC, {**data, "thoughts": "Theirs"})
    assert replay.status_code == 403
    assert DailyEntry.objects.get().thoughts == "Mine"
    # The answer page reads only the signed-in patient's own day.
    answer = client.get(done.url + "&harm=1").json()
    assert "support_url" not in answer


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("person", PEOPLE)
def test_only_a_patient_can_open_the_answer_page(client, people, person):
    url = reverse("journal:sync_done", args=[date.fromisoformat(DAY)]) + "?result=saved"
    expected = 200 if person in ("patient", "other_patient") else 404
    assert_access(client, people[person], "get", url, expected)


def test_the_sync_point_refuses_other_methods(signed_in):
    assert signed_in.put(SYNC).status_code == 405
