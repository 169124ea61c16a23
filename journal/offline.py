"""Entries written on a phone with no connection, sent when it returns.

The offline form (journal/offline.html, cached by the service worker) holds no health
data, so it shows only the questions every log has, never the person's own symptom
names, and it cannot show what was already saved for the day. So a queued entry is
added to the day rather than replacing it: each answer given replaces the saved one,
anything left alone stays as it was, and thoughts are added below saved ones.

Two devices editing one day: the later press of Save is kept. A queued entry carries
when it was pressed (`edited_at`) and when its form was opened (`opened_at`); the day
was changed elsewhere meanwhile when its stored edit time falls after `opened_at`.
Whatever the outcome, a queued "thoughts of harming myself" is always recorded and
always raises the safety path (journal/safety.py), as it does online.
"""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import entries
from .forms import DailyEntryForm
from .models import SEVERITY_CHOICES, DailyEntry

SCALES = ("mood", "anxiety", "energy")


class InstantField(forms.DateTimeField):
    """A moment with its offset from UTC, as a phone's toISOString() gives it; a
    time without one can't be placed, so it is refused rather than guessed."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        moment = parse_datetime(value.strip()) if isinstance(value, str) else None
        if moment is None or timezone.is_naive(moment):
            raise ValidationError("Give the time with its offset from UTC.", code="invalid")
        return moment


class QueuedEntryForm(forms.Form):
    """The offline form's answers, checked with the same rules as the daily log's."""

    day = forms.DateField(input_formats=["%Y-%m-%d"])
    edited_at = InstantField()
    opened_at = InstantField(required=False)
    mood = DailyEntryForm.base_fields["mood"]
    anxiety = DailyEntryForm.base_fields["anxiety"]
    energy = DailyEntryForm.base_fields["energy"]
    sleep_hours = DailyEntryForm.base_fields["sleep_hours"]
    homework_done = DailyEntryForm.base_fields["homework_done"]
    thoughts = DailyEntryForm.base_fields["thoughts"]
    discuss_next_session = DailyEntryForm.base_fields["discuss_next_session"]
    self_harm_thoughts = DailyEntryForm.base_fields["self_harm_thoughts"]

    def __init__(self, *args, symptoms, **kwargs):
        """`symptoms`: the patient's active ones. An entry queued from the full daily
        log (opened online, saved after the connection dropped) may rate them; a
        rating of anyone else's symptom is not a field here, so it is ignored."""
        super().__init__(*args, **kwargs)
        self.symptoms = list(symptoms)
        for symptom in self.symptoms:
            self.fields[DailyEntryForm.symptom_field(symptom)] = forms.TypedChoiceField(
                choices=SEVERITY_CHOICES, coerce=int, required=False, empty_value=None
            )

    def severities(self) -> dict[int, int]:
        """Only the symptoms rated: one left alone keeps its saved rating."""
        rated = {s.pk: self.cleaned_data[DailyEntryForm.symptom_field(s)] for s in self.symptoms}
        return {pk: severity for pk, severity in rated.items() if severity is not None}


@dataclass(frozen=True)
class Outcome:
    entry: DailyEntry
    # "saved": nothing else changed the day; "kept_this": it was also changed
    # elsewhere, earlier, and this edit was kept; "kept_other": changed elsewhere
    # later, so that edit was kept and this one was not applied.
    result: str
    other_edit_at: datetime | None = None


def apply(patient, data: dict, severities: dict[int, int]) -> Outcome:
    """Add a queued entry (QueuedEntryForm's cleaned_data and severities) to the
    patient's day. The caller has checked the day can be logged."""
    now = timezone.now()
    # A phone whose clock runs fast must not win every later edit.
    edited_at = min(data["edited_at"], now)
    opened_at = min(data.get("opened_at") or edited_at, edited_at)
    entry = DailyEntry.objects.filter(patient=patient, day=data["day"]).first()
    stored_at = (entry.edited_at or entry.updated_at) if entry else None
    if entry is None:
        entry = DailyEntry(patient=patient, day=data["day"])

    if stored_at is not None and stored_at > edited_at:
        if data.get("self_harm_thoughts") and not entry.self_harm_thoughts:
            entry.self_harm_thoughts = True
            entries.save_entry(entry, {}, edited_at=stored_at)
        return Outcome(entry, "kept_other", stored_at)

    for name in (*SCALES, "sleep_hours", "homework_done"):
        if data.get(name) is not None:
            setattr(entry, name, data[name])
    thoughts = (data.get("thoughts") or "").strip()
    if thoughts:
        entry.thoughts = f"{entry.thoughts}\n\n{thoughts}" if entry.thoughts else thoughts
    # A tick left empty on a form that could not show the saved one says nothing.
    for name in ("discuss_next_session", "self_harm_thoughts"):
        if data.get(name):
            setattr(entry, name, True)
    entries.save_entry(entry, severities, edited_at=edited_at)
    if stored_at is not None and stored_at > opened_at:
        return Outcome(entry, "kept_this", stored_at)
    return Outcome(entry, "saved")
