"""About sixty days of believable history for a demo patient: varied days, a few
gaps, one hard week, and questionnaires every two weeks. Deterministic, so every
`seed_demo` run tells the same story."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from . import entries, measures
from .models import (
    DailyEntry,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    Symptom,
    SymptomRating,
    by_name,
)

DAYS = 60
HARD_WEEK = range(24, 31)  # days ago

THOUGHTS = {
    3: "Walked to the river after work. Felt lighter than I expected.",
    9: "Argument with my sister. Kept replaying it at night.",
    26: "Everything felt heavy today. Stayed in bed most of the morning.",
    28: "Couldn't face the group chat. Not sure why it scares me now.",
    40: "Good day at work; finished the thing I had been avoiding.",
    51: "Slept badly again. Tired and short with everyone.",
}
DISCUSS = {9, 28}
# Real logs have gaps inside a day too. Days (ago) logged with a one-tap mood only;
# today is one of them, so nothing is told about a day that is not over yet.
MOOD_ONLY = {0, 5, 17, 38}
# Scales left unanswered on a few fuller days, so averages say "n of m days".
UNANSWERED = {
    "anxiety": {12, 33, 47},
    "energy": {12, 20, 44},
    "sleep_hours": {2, 20, 33, 55},
}


def seed_history(patient, seed: int, days: int = DAYS) -> bool:
    """`days` of history up to today. Returns False when the patient already has
    history (idempotent)."""
    if DailyEntry.objects.filter(patient=patient).exists():
        return False
    rng = random.Random(seed)  # noqa: S311 (a repeatable story, not a secret)
    entries.ensure_starter_symptoms(patient)
    # By name, as before names were encrypted: the same story for the same seed.
    symptoms = by_name(Symptom.objects.active().filter(patient=patient))
    today = patient.today()
    now = timezone.now()

    for days_ago in range(days, -1, -1):
        if days_ago and rng.random() < 0.12:
            continue  # a missed day, as real life has
        hard = days_ago in HARD_WEEK
        base_mood = 3 if hard else 6 + (days - days_ago) / days
        mood = _clamp(round(base_mood + rng.uniform(-1.5, 1.5)))
        answers = {
            "anxiety": _clamp(round((7.5 if hard else 4) + rng.uniform(-1.5, 1.5))),
            "energy": _clamp(round((2.5 if hard else 5.5) + rng.uniform(-1.5, 2))),
            "sleep_hours": Decimal(str(round((5 if hard else 7) + rng.uniform(-1, 1.2), 1))),
        }
        homework_done = rng.random() < 0.6 if days_ago % 3 else None
        severities = [
            min(3, max(0, round((2.2 if hard else 0.7) + rng.uniform(-1, 1)))) for _ in symptoms
        ]
        day = today - timedelta(days=days_ago)
        if days_ago in MOOD_ONLY:
            DailyEntry.objects.create(patient=patient, day=day, mood=mood)
            continue
        entry = DailyEntry.objects.create(
            patient=patient,
            day=day,
            mood=mood,
            **{
                name: None if days_ago in UNANSWERED[name] else value
                for name, value in answers.items()
            },
            thoughts=THOUGHTS.get(days_ago, ""),
            discuss_next_session=days_ago in DISCUSS,
            homework_done=homework_done,
        )
        # Now and then one symptom goes unrated: it gets no rating, not "None".
        skipped = days_ago % len(symptoms) if days_ago % 5 == 2 else None
        SymptomRating.objects.bulk_create(
            SymptomRating(entry=entry, symptom=symptom, severity=severity)
            for index, (symptom, severity) in enumerate(zip(symptoms, severities, strict=True))
            if index != skipped
        )

    for days_ago in range(days // 14 * 14, -1, -14):
        hard = days_ago in range(21, 35)
        # Questionnaires are taken in the evening, but never later than now: on the
        # day of seeding, this evening has not happened yet.
        taken_at = min(
            timezone.make_aware(
                datetime.combine(today - timedelta(days=days_ago), time(19, 30)), patient.zone
            ),
            now,
        )
        for questionnaire in measures.QUESTIONNAIRES.values():
            level = 2 if hard else (1 if days_ago > 30 else 0)
            answers = [
                min(3, max(0, level + rng.choice((-1, 0, 0, 1)))) for _ in questionnaire.items
            ]
            if questionnaire is measures.PHQ9:
                answers[measures.PHQ9_SELF_HARM_ITEM] = 1 if hard and seed % 2 else 0
            total, band = measures.score(questionnaire, answers)
            response = MeasureResponse.objects.create(
                patient=patient,
                kind=questionnaire.kind,
                answers=answers,
                total=total,
                band=band,
                taken_at=taken_at,
            )
            if measures.reports_self_harm(response):
                # Already followed up in the story: no email, acknowledged.
                SafetyAlert.objects.create(
                    patient=patient,
                    source=SafetyAlert.Source.PHQ9,
                    measure=response,
                    created_at=taken_at,
                    acknowledged_at=min(taken_at + timedelta(hours=14), now),
                )

    ParkedTopic.objects.create(
        patient=patient, title="Things with my dad", show_title_in_summary=True
    )
    ParkedTopic.objects.create(patient=patient, title="The year I left university")
    return True


def _clamp(value: int) -> int:
    return min(10, max(0, value))
