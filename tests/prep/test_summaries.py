"""prep/summaries.py, tested directly: what a summary holds, what the patient's
choices remove, what sharing freezes, and that its cost does not grow with history."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from appointments.models import Appointment
from journal.models import (
    DailyEntry,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    Symptom,
    SymptomRating,
)
from prep import summaries
from prep.models import PreSessionSummary
from tests.factories import (
    AgendaItemFactory,
    AppointmentFactory,
    CareLinkFactory,
    DailyEntryFactory,
    GoalFactory,
    HomeworkFactory,
    MeasureResponseFactory,
    SymptomFactory,
    SymptomRatingFactory,
)

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)  # a Wednesday; London is on BST
SESSION = datetime(2026, 5, 22, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def appointment(therapist, patient):
    return AppointmentFactory(therapist=therapist, patient=patient, starts_at=SESSION)


def attended(therapist, patient, days_before: int, outcome=Appointment.Outcome.ATTENDED):
    return AppointmentFactory(
        therapist=therapist,
        patient=patient,
        starts_at=SESSION - timedelta(days=days_before),
        outcome=outcome,
    )


class TestThePeriod:
    def test_it_is_fourteen_days_when_there_was_no_session(self, appointment):
        assert summaries.period_for(appointment) == (date(2026, 5, 7), date(2026, 5, 20))

    def test_it_starts_on_the_day_of_the_last_attended_session(
        self, appointment, therapist, patient
    ):
        attended(therapist, patient, 9)
        attended(therapist, patient, 2, outcome=Appointment.Outcome.NO_SHOW)
        assert summaries.period_for(appointment) == (date(2026, 5, 13), date(2026, 5, 20))

    def test_a_late_arrival_counts_as_attended(self, appointment, therapist, patient):
        attended(therapist, patient, 5, outcome=Appointment.Outcome.LATE)
        assert summaries.period_for(appointment)[0] == date(2026, 5, 17)

    def test_it_is_never_more_than_ninety_days(self, appointment, therapist, patient):
        attended(therapist, patient, 200)
        start, end = summaries.period_for(appointment)
        assert (end - start).days + 1 == 90


class TestWhatItHolds:
    def test_averages_and_their_change_against_the_previous_period(self, appointment, patient):
        for days_ago in range(14):  # this period: mood 6
            DailyEntryFactory(
                patient=patient, day=date(2026, 5, 20) - timedelta(days=days_ago), mood=6
            )
        for days_ago in range(14, 28):  # the period before: mood 4
            DailyEntryFactory(
                patient=patient, day=date(2026, 5, 20) - timedelta(days=days_ago), mood=4
            )
        overview = summaries.build(appointment)["overview"]
        assert overview["logged"] == 14
        assert overview["scales"]["mood"] == {
            "average": 6.0,
            "previous": 4.0,
            "change": 2.0,
            "answered": 14,
            "previous_answered": 14,
        }

    def test_averages_rest_on_answered_days_only_and_say_how_many(self, appointment, patient):
        DailyEntryFactory(
            patient=patient, day=date(2026, 5, 19), mood=4, anxiety=None, energy=None,
            sleep_hours=None,
        )  # fmt: skip
        DailyEntryFactory(
            patient=patient, day=date(2026, 5, 18), mood=None, anxiety=None, energy=2,
            sleep_hours=None,
        )  # fmt: skip
        DailyEntryFactory(patient=patient, day=date(2026, 5, 1), mood=None, anxiety=6)  # before
        snapshot = summaries.build(appointment)
        overview = snapshot["overview"]
        assert (overview["logged"], overview["days"]) == (2, 14)
        scales = overview["scales"]
        assert scales["mood"] == {
            "average": 4.0, "previous": None, "change": None, "answered": 1,
            "previous_answered": 0,
        }  # fmt: skip
        assert scales["anxiety"] == {
            "average": None, "previous": 6.0, "change": None, "answered": 0,
            "previous_answered": 1,
        }  # fmt: skip
        assert (scales["energy"]["average"], scales["energy"]["answered"]) == (2.0, 1)
        assert (scales["sleep_hours"]["average"], scales["sleep_hours"]["answered"]) == (None, 0)
        assert snapshot["series"] == [
            ["2026-05-18", None, None, 2.0, None],
            ["2026-05-19", 4.0, None, None, None],
        ]

    def test_best_and_hardest_days_are_only_days_with_a_mood(self, appointment, patient):
        DailyEntryFactory(patient=patient, day=date(2026, 5, 10), mood=None, anxiety=9)
        DailyEntryFactory(patient=patient, day=date(2026, 5, 11), mood=3, anxiety=None)
        DailyEntryFactory(patient=patient, day=date(2026, 5, 12), mood=None, anxiety=1)
        days = summaries.build(appointment)["days"]
        assert days["best_day"]["day"] == "2026-05-11"
        assert days["best_day"]["anxiety"] is None
        assert days["worst_day"] is None  # the one day with a mood is already the best

    def test_no_mood_answered_means_no_best_or_hardest_day(self, appointment, patient):
        DailyEntryFactory(patient=patient, day=date(2026, 5, 10), mood=None)
        assert summaries.build(appointment)["days"] == {"best_day": None, "worst_day": None}

    def test_best_and_hardest_days(self, appointment, patient):
        DailyEntryFactory(patient=patient, day=date(2026, 5, 18), mood=9)
        DailyEntryFactory(patient=patient, day=date(2026, 5, 12), mood=1)
        DailyEntryFactory(patient=patient, day=date(2026, 5, 15), mood=5)
        days = summaries.build(appointment)["days"]
        assert days["best_day"]["day"] == "2026-05-18"
        assert days["worst_day"]["day"] == "2026-05-12"

    def test_symptom_frequency_and_mean_severity(self, appointment, patient):
        worry = SymptomFactory(patient=patient, name="Worry")
        for day, severity in ((18, 3), (19, 1), (20, 0)):
            entry = DailyEntryFactory(patient=patient, day=date(2026, 5, day))
            SymptomRatingFactory(entry=entry, symptom=worry, severity=severity)
        [symptom] = summaries.build(appointment)["symptoms"]
        assert (symptom["days_present"], symptom["days_rated"]) == (2, 3)
        assert symptom["mean_severity"] == pytest.approx(1.3, abs=0.05)

    def test_symptom_frequency_counts_rated_days_only(self, appointment, patient):
        worry = SymptomFactory(patient=patient, name="Worry")
        for day, severity in ((14, 2), (15, None), (16, None), (17, 0)):
            entry = DailyEntryFactory(patient=patient, day=date(2026, 5, day))
            if severity is not None:
                SymptomRatingFactory(entry=entry, symptom=worry, severity=severity)
        [symptom] = summaries.build(appointment)["symptoms"]
        assert (symptom["days_present"], symptom["days_rated"]) == (1, 2)
        assert symptom["mean_severity"] == 1.0

    def test_agenda_flagged_days_parked_topics_goals_homework(self, appointment, patient):
        AgendaItemFactory(patient=patient, text="The holiday plans")
        DailyEntryFactory(
            patient=patient, day=date(2026, 5, 19), discuss_next_session=True, thoughts="A row"
        )
        ParkedTopic.objects.create(patient=patient, title="Shown title", show_title_in_summary=True)
        ParkedTopic.objects.create(patient=patient, title="Private title")
        GoalFactory(patient=patient, title="Walk daily")
        HomeworkFactory(patient=patient, description="Breathing practice")
        snapshot = summaries.build(appointment)
        assert [item["text"] for item in snapshot["agenda"]] == ["The holiday plans"]
        assert snapshot["flagged"][0]["day"] == "2026-05-19"
        assert snapshot["parked"] == {"count": 2, "titles": ["Shown title"]}
        assert [goal["title"] for goal in snapshot["goals"]] == ["Walk daily"]
        assert snapshot["homework"][0]["description"] == "Breathing practice"

    def test_questionnaires_with_band_and_reliable_change(self, appointment, patient):
        MeasureResponseFactory(
            patient=patient, kind="phq9", answers=[2] * 9, total=18, band="moderately severe",
            taken_at=NOW - timedelta(days=20),
        )  # fmt: skip
        MeasureResponseFactory(
            patient=patient, kind="phq9", answers=[1] * 9, total=9, band="mild",
            taken_at=NOW - timedelta(days=2),
        )  # fmt: skip
        [phq9] = summaries.build(appointment)["measures"]
        assert (phq9["total"], phq9["band"], phq9["change"]) == (9, "mild", -9)
        assert phq9["reliable"] and phq9["direction"] == "better"

    def test_many_gad7s_after_a_phq9_still_leave_both_changes(self, appointment, patient):
        for days_ago, total in ((60, 20), (40, 12)):
            MeasureResponseFactory(
                patient=patient, kind="phq9", answers=[1] * 9, total=total, band="moderate",
                taken_at=NOW - timedelta(days=days_ago),
            )  # fmt: skip
        for n in range(12):  # weekly GAD-7s since, newest last
            MeasureResponseFactory(
                patient=patient, kind="gad7", answers=[1] * 7, total=16 - n, band="mild",
                taken_at=NOW - timedelta(days=36 - 3 * n),
            )  # fmt: skip
        by_name = {item["name"]: item for item in summaries.build(appointment)["measures"]}
        assert (by_name["PHQ-9"]["total"], by_name["PHQ-9"]["change"]) == (12, -8)
        assert by_name["PHQ-9"]["taken_on"] == (NOW - timedelta(days=40)).date().isoformat()
        assert (by_name["GAD-7"]["total"], by_name["GAD-7"]["change"]) == (5, -1)

    def test_a_questionnaire_taken_once_has_no_change(self, appointment, patient):
        MeasureResponseFactory(patient=patient, kind="gad7", taken_at=NOW - timedelta(days=1))
        [gad7] = summaries.build(appointment)["measures"]
        assert gad7["change"] is None and not gad7["reliable"]

    def test_safety_events_and_recent_attendance(self, appointment, therapist, patient):
        SafetyAlert.objects.create(patient=patient, source="daily_log", created_at=NOW)
        attended(therapist, patient, 30, outcome=Appointment.Outcome.NO_SHOW)
        snapshot = summaries.build(appointment)
        assert snapshot["safety"] == [{"day": "2026-05-20", "source": "Daily log"}]
        assert snapshot["attendance"][0]["outcome"] == "Did not attend"

    def test_recent_sessions_are_only_those_with_its_own_therapist(
        self, appointment, therapist, other_therapist, patient
    ):
        CareLinkFactory(therapist=other_therapist, patient=patient)
        attended(other_therapist, patient, 3, outcome=Appointment.Outcome.NO_SHOW)
        own = attended(therapist, patient, 10)
        attendance = summaries.build(appointment)["attendance"]
        assert attendance == [{"starts_at": own.starts_at.isoformat(), "outcome": "Attended"}]


class TestThePatientsChoices:
    @pytest.fixture
    def draft(self, appointment, patient):
        DailyEntryFactory(patient=patient, day=date(2026, 5, 18), mood=9)
        DailyEntryFactory(
            patient=patient, day=date(2026, 5, 12), mood=1, discuss_next_session=True,
            thoughts="I cried at work",
        )  # fmt: skip
        AgendaItemFactory(patient=patient, text="Keep this")
        AgendaItemFactory(patient=patient, text="Drop this")
        return summaries.generate_draft(appointment)

    def test_unticked_items_and_sections_are_left_out(self, draft):
        drop = next(i["key"] for i in draft.snapshot["agenda"] if i["text"] == "Drop this")
        shown = summaries.visible(draft.snapshot, ["worst_day", drop, "section:symptoms"], [])
        assert "worst_day" not in shown["days"]
        assert [item["text"] for item in shown["agenda"]] == ["Keep this"]
        assert shown["symptoms"] is None

    def test_a_flagged_days_own_words_go_only_when_included(self, draft):
        entry_id = draft.snapshot["flagged"][0]["entry"]
        assert summaries.visible(draft.snapshot, [], [])["flagged"][0]["thought"] == ""
        included = summaries.visible(draft.snapshot, [], [entry_id])
        assert included["flagged"][0]["thought"] == "I cried at work"

    def test_sharing_freezes_what_remained(self, appointment, patient, draft):
        summaries.save_choices(draft, ["worst_day"], [])
        shared = summaries.share(appointment)
        assert shared.version == 1
        assert "worst_day" not in shared.snapshot["days"]
        assert "I cried at work" not in str(shared.snapshot)
        # Later journal edits do not reach the shared version.
        DailyEntry.objects.filter(patient=patient).update(mood=3)
        summaries.generate_draft(appointment)
        shared.refresh_from_db()
        assert shared.snapshot["days"]["best_day"]["mood"] == 9

    def test_sharing_uses_the_journal_as_it_is_now_not_the_old_draft(self, appointment, patient):
        """GIVEN a draft holding an agenda item and a flagged day
        WHEN the item is deleted and the day unflagged before the patient shares
        THEN the shared version holds neither."""
        worry = AgendaItemFactory(patient=patient, text="my secret worry")
        entry = DailyEntryFactory(
            patient=patient, day=date(2026, 5, 19), discuss_next_session=True, thoughts="x"
        )
        draft = summaries.generate_draft(appointment)
        assert "my secret worry" in str(draft.snapshot)
        worry.delete()
        entry.discuss_next_session = False
        entry.save()
        shared = summaries.share(appointment)
        assert "my secret worry" not in str(shared.snapshot)
        assert shared.snapshot["flagged"] == []

    def test_sharing_twice_without_changes_makes_one_version(self, appointment, draft):
        first, second = summaries.share(appointment), summaries.share(appointment)
        assert first.pk == second.pk
        assert PreSessionSummary.objects.filter(version__gt=0).count() == 1

    def test_a_reshare_after_a_change_makes_a_new_version(self, appointment, draft):
        summaries.share(appointment)
        summaries.save_choices(draft, ["section:overview"], [])
        again = summaries.share(appointment)
        assert again.version == 2
        assert again.snapshot["overview"] is None

    def test_refreshing_the_draft_keeps_the_choices(self, appointment, draft):
        summaries.save_choices(draft, ["best_day"], [])
        refreshed = summaries.generate_draft(appointment)
        assert refreshed.pk == draft.pk
        assert refreshed.hidden == ["best_day"]

    def test_unknown_keys_and_other_entries_are_ignored(self, draft, patient):
        other = DailyEntryFactory(patient=patient, day=date(2026, 5, 1), thoughts="outside")
        summaries.save_choices(draft, ["nonsense", "best_day"], [other.pk, 999])
        assert draft.hidden == ["best_day"]
        assert draft.included_thoughts == []

    def test_the_snapshot_is_encrypted_at_rest(self, draft):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT snapshot FROM prep_presessionsummary")
            [(raw,)] = cursor.fetchall()
        assert "I cried" not in raw
        assert "mood" not in raw


def fill_history(patient, days: int, symptoms: int = 10, measures_count: int = 26) -> None:
    names = [Symptom(patient=patient, name=f"Symptom {n}") for n in range(symptoms)]
    Symptom.objects.bulk_create(names)
    entries = DailyEntry.objects.bulk_create(
        DailyEntry(
            patient=patient, day=date(2026, 5, 20) - timedelta(days=n), mood=n % 11,
            anxiety=None if n % 5 == 0 else (n * 3) % 11, energy=(n * 7) % 11,
            sleep_hours=None if n % 4 == 0 else 7,
            discuss_next_session=n % 9 == 0, thoughts="a thought" if n % 9 == 0 else "",
        )
        for n in range(days)
    )  # fmt: skip
    SymptomRating.objects.bulk_create(
        SymptomRating(entry=entry, symptom=symptom, severity=(entry.day.day + i) % 4)
        for entry in entries
        for i, symptom in enumerate(names)
    )
    MeasureResponse.objects.bulk_create(
        MeasureResponse(
            patient=patient, kind="phq9" if n % 2 else "gad7",
            answers=[1] * (9 if n % 2 else 7), total=9 if n % 2 else 7, band="mild",
            taken_at=NOW - timedelta(days=14 * n),
        )
        for n in range(measures_count)
    )  # fmt: skip


def test_the_query_count_does_not_grow_with_history(
    therapist, patient, django_assert_max_num_queries
):
    """GIVEN one patient with 10 days of history and another with 365 days, 10
    symptoms and 26 questionnaires
    WHEN each summary is built
    THEN both cost the same fixed number of queries."""
    from tests.factories import UserFactory

    fill_history(patient, days=10, measures_count=4)
    short = AppointmentFactory(therapist=therapist, patient=patient, starts_at=SESSION)
    # The period's start with the recent sessions, the days of both periods in order
    # (averages, series, best and hardest days, marked days worked out from them),
    # symptoms, questionnaires, feedback, and the short lists (agenda, parked topics,
    # goals, homework, safety alerts) in one.
    with django_assert_max_num_queries(6) as small:
        summaries.build(short)

    veteran = UserFactory()
    CareLinkFactory(therapist=therapist, patient=veteran)
    fill_history(veteran, days=365)
    for days_before in range(7, 365, 14):
        attended(therapist, veteran, days_before)
    long = AppointmentFactory(therapist=therapist, patient=veteran, starts_at=SESSION)
    with django_assert_max_num_queries(len(small.captured_queries)):
        snapshot = summaries.build(long)
    assert snapshot["overview"]["logged"] > 0
    assert len(snapshot["symptoms"]) == 10
    assert [item["change"] for item in snapshot["measures"]] == [0, 0]  # one of each kind


@pytest.mark.django_db(transaction=True)
def test_two_shares_racing_make_one_version(therapist, patient):
    """GIVEN a draft WHEN two requests press Share at the same moment THEN the draft
    row lock lets one create version 1 and the other find it."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs this)")
    appointment = AppointmentFactory(therapist=therapist, patient=patient, starts_at=SESSION)
    summaries.generate_draft(appointment)
    results, barrier = [], threading.Barrier(2)

    def press_share():
        try:
            barrier.wait()
            results.append(summaries.share(appointment).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press_share) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert len(set(results)) == 1
    assert PreSessionSummary.objects.filter(version__gt=0).count() == 1
