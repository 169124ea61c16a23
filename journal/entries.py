"""The daily log's rules: which days may be logged, the symptoms a patient rates,
and saving an entry with its ratings in one step."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import patient_joined

from . import safety
from .models import DailyEntry, Symptom, SymptomRating, by_name

# Missed days are normal: the last week can be filled in, the future cannot.
BACKFILL_DAYS = 7
# How far back the daily log looks to put the symptoms felt lately at the top.
RECENTLY_FELT_DAYS = 90

STARTER_SYMPTOMS = [
    "Low mood",
    "Worry",
    "Poor sleep",
    "Tiredness",
    "Irritability",
    "Trouble concentrating",
]


def loggable_days(patient) -> tuple[date, date]:
    today = patient.today()
    return today - timedelta(days=BACKFILL_DAYS), today


def can_log(patient, day: date) -> bool:
    first, last = loggable_days(patient)
    return first <= day <= last


@receiver(patient_joined, dispatch_uid="journal.starter_symptoms")
def give_starter_symptoms(sender, patient, **kwargs) -> None:
    ensure_starter_symptoms(patient)


def ensure_starter_symptoms(patient) -> None:
    """A new patient starts with a short common list they can edit (given when the
    account is created, never by opening a page)."""
    if not Symptom.objects.filter(patient=patient).exists():
        Symptom.objects.bulk_create(
            Symptom(patient=patient, name=name) for name in STARTER_SYMPTOMS
        )


def symptoms_for_log(patient) -> list[Symptom]:
    """Active symptoms, the ones felt most recently (in the last RECENTLY_FELT_DAYS)
    first, so a returning patient finds theirs at the top; then by name (in Python:
    names are encrypted). Only recent days are read, so the cost stays the same
    however long the history."""
    since = patient.today() - timedelta(days=RECENTLY_FELT_DAYS)
    # Read with the symptoms themselves, in the same query.
    last_felt = (
        SymptomRating.objects.filter(
            symptom=OuterRef("pk"), entry__patient=patient, entry__day__gte=since, severity__gt=0
        )
        .order_by("-entry__day")
        .values("entry__day")[:1]
    )
    symptoms = by_name(
        Symptom.objects.active().filter(patient=patient).annotate(last_felt=Subquery(last_felt))
    )
    # A stable sort keeps names in order among symptoms last felt the same day.
    return sorted(
        symptoms,
        key=lambda s: -s.last_felt.toordinal() if s.last_felt is not None else 1,
    )


def save_entry(
    entry: DailyEntry, severities: dict[int, int | None], edited_at: datetime | None = None
) -> DailyEntry:
    """Save the entry and a rating for each symptom the patient rated; a symptom left
    unrated has no rating (a saved one is removed). Raise a safety alert when the
    patient reports thoughts of self-harm. `edited_at` is when the person pressed Save
    (given for an entry that waited on their phone; otherwise now)."""
    # A new entry can meet the same day saved a moment ago in another tab; the caller
    # then carries on in its own transaction, so those writes get a savepoint to roll
    # back to. An existing entry's writes meet no such clash (the ratings upsert), and
    # its savepoint would cost two statements on every save.
    with transaction.atomic(savepoint=entry.pk is None):
        return _save_entry(entry, severities, edited_at)


def _save_entry(
    entry: DailyEntry, severities: dict[int, int | None], edited_at: datetime | None
) -> DailyEntry:
    entry.edited_at = edited_at or timezone.now()
    entry.save()
    # Two writes whatever changed, without reading the saved ratings first: the
    # unrated ones go, and the rated ones are inserted or, where one is already
    # saved (one rating per symptom per entry), given the new severity.
    cleared = [symptom_id for symptom_id, severity in severities.items() if severity is None]
    if cleared:
        SymptomRating.objects.filter(entry=entry, symptom_id__in=cleared).delete()
    rated = [
        SymptomRating(entry=entry, symptom_id=symptom_id, severity=severity)
        for symptom_id, severity in severities.items()
        if severity is not None
    ]
    if rated:
        SymptomRating.objects.bulk_create(
            rated,
            update_conflicts=True,
            unique_fields=["entry", "symptom"],
            update_fields=["severity"],
        )
    safety.raise_for_entry(entry)
    return entry


def save_mood(patient, day: date, mood: int) -> DailyEntry:
    """Set one day's mood and nothing else: a new entry has every other answer left
    unanswered; an existing one keeps them. The one-entry-per-day constraint makes
    a repeated tap update the same entry."""
    entry, _ = DailyEntry.objects.update_or_create(
        patient=patient, day=day, defaults={"mood": mood, "edited_at": timezone.now()}
    )
    return entry


def is_read_only(patient, day: date) -> bool:
    """A day before the editing window: it can be read, not changed."""
    return day < loggable_days(patient)[0]
