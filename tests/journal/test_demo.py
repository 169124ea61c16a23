"""The demo history (journal/demo.py): believable, never in the future, and with the
gaps real logs have, so "n of m days answered" means something."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from journal.demo import seed_history
from journal.models import DailyEntry, MeasureResponse, SafetyAlert, Symptom, SymptomRating

# 08:00 on each side of a clock change, in two zones: questionnaires are "taken" at
# 19:30, which has not come yet on the day of seeding.
MORNINGS = [
    ("Europe/London", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # 08:00 BST, first day
    ("Europe/London", datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),  # 08:00 GMT, first day
    ("America/New_York", datetime(2027, 3, 28, 12, 0, tzinfo=UTC)),  # 08:00 EDT
    ("America/New_York", datetime(2027, 10, 31, 12, 0, tzinfo=UTC)),  # 08:00 EDT
]


@pytest.mark.parametrize(("zone", "moment"), MORNINGS)
@pytest.mark.parametrize("seed", [1, 2])
def test_the_demo_never_records_anything_in_the_future(patient, zone, moment, seed):
    patient.timezone = zone
    patient.save()
    with time_machine.travel(moment, tick=False):
        assert timezone.localtime(timezone=patient.zone).hour == 8
        assert seed_history(patient, seed)
        now, today = timezone.now(), patient.today()
    responses = MeasureResponse.objects.filter(patient=patient)
    assert responses.count() == 10
    assert max(responses.values_list("taken_at", flat=True)) <= now
    # Today's questionnaires are dated now, not this evening.
    assert responses.filter(taken_at=now).count() == 2
    for alert in SafetyAlert.objects.filter(patient=patient):
        assert alert.created_at <= now
        assert alert.acknowledged_at is None or alert.acknowledged_at <= now
    entries = DailyEntry.objects.filter(patient=patient)
    assert max(entries.values_list("day", flat=True)) == today
    # Of today, only what a morning can tell: a mood, nothing about the whole day.
    morning = entries.get(day=today)
    assert morning.mood is not None
    assert (morning.anxiety, morning.energy, morning.sleep_hours, morning.thoughts) == (
        None,
        None,
        None,
        "",
    )
    assert not SymptomRating.objects.filter(entry=morning).exists()


def test_the_demo_leaves_some_answers_out_as_real_logs_do(patient):
    assert seed_history(patient, 1)
    entries = DailyEntry.objects.filter(patient=patient)
    counts = entries.aggregate(
        days=Count("pk"),
        mood=Count("mood"),
        anxiety=Count("anxiety"),
        energy=Count("energy"),
        sleep=Count("sleep_hours"),
    )
    assert 45 <= counts["days"] <= 61
    assert counts["mood"] == counts["days"]
    for scale in ("anxiety", "energy", "sleep"):
        assert counts["days"] - 10 <= counts[scale] < counts["days"]
    symptoms = Symptom.objects.filter(patient=patient).count()
    ratings = SymptomRating.objects.filter(entry__patient=patient).count()
    one_tap_days = entries.filter(anxiety=None, energy=None, sleep_hours=None).count()
    assert one_tap_days >= 2
    assert ratings < (counts["days"] - one_tap_days) * symptoms
    assert SymptomRating.objects.filter(entry__patient=patient, severity=0).exists()


def test_the_demo_trends_say_how_many_days_each_scale_was_answered(client, patient):
    seed_history(patient, 1)
    client.force_login(patient)
    page = client.get(reverse("journal:trends"), {"weeks": 12}).content.decode()
    logged = DailyEntry.objects.filter(
        patient=patient, day__gte=patient.today() - timedelta(days=83)
    ).count()
    assert f"{logged} of 84 days logged" in page
    answered = DailyEntry.objects.filter(
        patient=patient, day__gte=patient.today() - timedelta(days=83), anxiety__isnull=False
    ).count()
    assert answered < logged
    assert f"anxiety {answered} of 84" in page


def test_seeding_twice_adds_nothing(patient):
    assert seed_history(patient, 1)
    count = DailyEntry.objects.count()
    assert not seed_history(patient, 1)
    assert DailyEntry.objects.count() == count
