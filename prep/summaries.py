"""The pre-session summary: the days since the last session on one page.

`build` reads the journal, the agenda, goals, homework, questionnaires and
attendance for one appointment and returns a plain dict (the snapshot). Every
piece the patient can leave out has a key; `visible` applies their choices.
Sharing stores the visible part as a new frozen version; the therapist only ever
reads those. The number of queries is fixed, whatever the length of the history.
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from appointments.models import Appointment
from core import charts
from feedback.models import RATINGS, SessionFeedback
from journal import measures
from journal.models import DailyEntry, MeasureResponse, ParkedTopic, SafetyAlert, SymptomRating

from . import freshness, plans
from .models import AgendaItem, Goal, Homework, PreSessionSummary

DEFAULT_PERIOD_DAYS = 14
MAX_PERIOD_DAYS = 90
# The shape of a snapshot. Bump it when `build` changes what a snapshot holds: every
# stored draft then counts as out of date (prep/freshness.py) and is built again.
FORMAT = 1
ATTENDANCE_SHOWN = 5
SCALES = ("mood", "anxiety", "energy", "sleep_hours")


def period_for(appointment: Appointment, today: date | None = None) -> tuple[date, date]:
    """From the day of the last attended session (what was logged that evening
    belongs to "since") or 14 days, up to the day of this one, or today if that
    comes first; never more than 90 days."""
    zone = appointment.patient.zone
    end = _period_end(appointment, today)
    last = plans.last_attended_session(
        appointment.patient, before=appointment.starts_at, therapist=appointment.therapist
    )
    if last:
        start = last.starts_at.astimezone(zone).date()
    else:
        start = end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    start = max(start, end - timedelta(days=MAX_PERIOD_DAYS - 1))
    return min(start, end), end


def _period_end(appointment: Appointment, today: date | None = None) -> date:
    zone = appointment.patient.zone
    today = today or timezone.localdate(timezone=zone)
    return min(appointment.starts_at.astimezone(zone).date(), today)


def inputs_of(appointment: Appointment) -> str:
    """What a summary of `appointment` built now would be built from, as one value
    (prep/freshness.py): both periods compared reach back at most twice the longest."""
    return freshness.fingerprint(
        appointment, _period_end(appointment), 2 * MAX_PERIOD_DAYS, salt=f"format {FORMAT}"
    )


def build(appointment: Appointment, today: date | None = None) -> dict:
    patient = appointment.patient
    start, end = period_for(appointment, today)
    days = (end - start).days + 1
    # The period before, as long, for the changes in the averages.
    previous_start = start - timedelta(days=days)
    entries = DailyEntry.objects.filter(patient=patient)
    in_period = entries.filter(day__range=(start, end))
    # The period's first and last moments where the patient is (not UTC dates).
    since, until = _moments(start, end, patient.zone)
    # Both periods' days in one read, in order: the averages, the day-by-day series
    # and the best and hardest days are all worked out from them.
    both_periods = [
        dict(zip(("pk", "day", *SCALES), row, strict=True))
        for row in entries.filter(day__range=(previous_start, end))
        .order_by("day")
        .values_list("pk", "day", *SCALES)
    ]
    days_in_period = [row for row in both_periods if row["day"] >= start]
    days_before = [row for row in both_periods if row["day"] < start]
    averages = {"logged": len(days_in_period)}
    for field in SCALES:
        for average, answered, rows in (
            (f"now_{field}", f"answered_{field}", days_in_period),
            (f"before_{field}", f"answered_before_{field}", days_before),
        ):
            # A scale left unanswered counts for nothing.
            values = [row[field] for row in rows if row[field] is not None]
            averages[average] = sum(values) / len(values) if values else None
            averages[answered] = len(values)
    series = [[row["day"], *(row[field] for field in SCALES)] for row in days_in_period]
    # Best and hardest only among days the patient gave a mood; of days with the same
    # mood, the earliest (max and min keep the first they meet, and days are in order).
    with_mood = [row for row in days_in_period if row["mood"] is not None]
    best = max(with_mood, key=lambda row: row["mood"], default=None)
    worst = min(with_mood, key=lambda row: row["mood"], default=None)

    return {
        "format": FORMAT,
        "generated_at": timezone.now().isoformat(),
        "patient_name": patient.display_name,
        "therapist_name": appointment.with_whom,
        "appointment": {
            "starts_at": appointment.starts_at.isoformat(),
            "kind": appointment.get_kind_display(),
        },
        "period": {"start": start.isoformat(), "end": end.isoformat(), "days": days},
        "overview": _overview(averages, days),
        "days": {
            "best_day": _day(best) if best else None,
            "worst_day": _day(worst) if worst and worst != best else None,
        },
        "series": [[day.isoformat(), *(_number(v) for v in values)] for day, *values in series],
        "symptoms": _symptoms(patient, start, end),
        "agenda": _agenda(patient),
        "flagged": _flagged(in_period),
        "parked": _parked(patient),
        "goals": [
            {"key": f"goal:{goal.pk}", "title": goal.title, "status": goal.get_status_display()}
            for goal in Goal.objects.filter(patient=patient).exclude(status=Goal.Status.DROPPED)
        ],
        "homework": [
            {
                "key": f"homework:{item.pk}",
                "description": item.description,
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "done": item.done_at is not None,
            }
            for item in Homework.objects.filter(patient=patient).filter(
                Q(done_at__isnull=True) | Q(done_at__gte=since)
            )
        ],
        "measures": _measures(patient, end),
        "safety": [
            {
                "day": alert.created_at.astimezone(patient.zone).date().isoformat(),
                "source": alert.get_source_display(),
            }
            for alert in SafetyAlert.objects.filter(
                patient=patient, created_at__gte=since, created_at__lt=until
            ).order_by("created_at")
        ],
        "relationship": _relationship(appointment),
        "attendance": [
            {
                "starts_at": past.starts_at.isoformat(),
                "outcome": past.get_outcome_display() or "Not recorded",
            }
            for past in Appointment.objects.filter(
                patient=patient,
                therapist_id=appointment.therapist_id,
                starts_at__lt=appointment.starts_at,
            ).order_by("-starts_at")[:ATTENDANCE_SHOWN]
        ],
    }


def _moments(start: date, end: date, zone) -> tuple[datetime, datetime]:
    """From the start of `start` to the end of `end`, in the patient's own zone."""
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _number(value):
    return None if value is None else round(float(value), 1)


def _overview(averages: dict, days: int) -> dict:
    scales = {}
    for field in SCALES:
        now, before = _number(averages[f"now_{field}"]), _number(averages[f"before_{field}"])
        scales[field] = {
            "average": now,
            "previous": before,
            "change": None if now is None or before is None else round(now - before, 1),
            # How many days each average rests on (of `days` in each period).
            "answered": averages[f"answered_{field}"],
            "previous_answered": averages[f"answered_before_{field}"],
        }
    return {"logged": averages["logged"], "days": days, "scales": scales}


def _day(row: dict) -> dict:
    return {
        "day": row["day"].isoformat(),
        "mood": row["mood"],
        "anxiety": row["anxiety"],
        "energy": row["energy"],
        "sleep_hours": _number(row["sleep_hours"]),
    }


def _symptoms(patient, start: date, end: date) -> list[dict]:
    rows = (
        SymptomRating.objects.filter(entry__patient=patient, entry__day__range=(start, end))
        .values("symptom_id", "symptom__name")
        .annotate(
            rated=Count("pk"),
            present=Count("pk", filter=Q(severity__gt=0)),
            mean=Avg("severity"),
            worst=Max("severity"),
        )
        .filter(present__gt=0)
        .order_by()
    )
    # Most often present first, then by name: in Python, as names are encrypted.
    rows = sorted(rows, key=lambda row: (-row["present"], row["symptom__name"], row["symptom_id"]))
    return [
        {
            "key": f"symptom:{row['symptom_id']}",
            "name": row["symptom__name"],
            "days_present": row["present"],
            "days_rated": row["rated"],
            "mean_severity": _number(row["mean"]),
        }
        for row in rows
    ]


def _agenda(patient) -> list[dict]:
    return [
        {"key": f"agenda:{item.pk}", "kind": item.kind, "text": item.text}
        for item in AgendaItem.objects.filter(patient=patient, done_at__isnull=True)
    ]


def _flagged(in_period) -> list[dict]:
    return [
        {
            "key": f"flagged:{entry.pk}",
            "entry": entry.pk,
            "day": entry.day.isoformat(),
            "mood": entry.mood,
            "thought": entry.thoughts,
        }
        for entry in in_period.filter(discuss_next_session=True)
        .only("pk", "day", "mood", "thoughts")
        .order_by("day")
    ]


def _relationship(appointment: Appointment) -> list[dict]:
    """The last ratings the patient shared with this therapist, and a comment only
    where they shared it and asked to talk about it."""
    recent = (
        SessionFeedback.objects.filter(
            patient_id=appointment.patient_id,
            therapist_id=appointment.therapist_id,
            session_at__lt=appointment.starts_at,
        )
        .exclude(visibility=SessionFeedback.Visibility.PRIVATE)
        .order_by("-session_at")[:3]
    )
    return [
        {
            "key": f"relationship:{item.pk}",
            "session_at": item.session_at.isoformat(),
            **{name: getattr(item, name) for name in RATINGS},
            "wants_to_talk": item.discuss_next_time and item.therapist_sees_comment,
            "comment": item.comment
            if item.therapist_sees_comment and item.discuss_next_time
            else "",
        }
        for item in recent
    ]


def _parked(patient) -> dict:
    topics = list(ParkedTopic.objects.filter(patient=patient))
    return {
        "count": len(topics),
        "titles": [topic.title for topic in topics if topic.show_title_in_summary],
    }


def _measures(patient, end: date) -> list[dict]:
    # The latest two of each kind are enough for a score and its change. Numbering
    # each kind's responses newest first and keeping 1 and 2 reads them in one query,
    # however many of either kind have been taken.
    recent = list(
        MeasureResponse.objects.filter(
            patient=patient, taken_at__lt=_moments(end, end, patient.zone)[1]
        )
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("kind")], order_by=[F("taken_at").desc(), "-pk"]
            )
        )
        .filter(newest__lte=2)
        .order_by("kind", "newest")
        .only("kind", "total", "band", "taken_at")
    )
    result = []
    for questionnaire in measures.QUESTIONNAIRES.values():
        own = [r for r in recent if r.kind == questionnaire.kind]
        if not own:
            continue
        latest, previous = own[0], (own[1] if len(own) > 1 else None)
        change = measures.change(questionnaire, previous and previous.total, latest.total)
        result.append(
            {
                "key": f"measure:{questionnaire.kind}",
                "name": questionnaire.name,
                "total": latest.total,
                "max": questionnaire.max_total,
                "band": latest.band,
                "taken_on": latest.taken_at.astimezone(patient.zone).date().isoformat(),
                "change": change.points if change else None,
                "reliable": bool(change and change.reliable),
                "direction": change.direction if change else None,
            }
        )
    return result


# Sections the patient can leave out as a whole, named as the review page offers them
# (prep/review.py); list sections also have item keys.
SECTIONS = {
    "overview": "How your days went",
    "days": "Your best and hardest days",
    "series": "Day by day",
    "symptoms": "Symptoms",
    "agenda": "What you want to talk about",
    "flagged": "Days you marked to bring up",
    "parked": "Topics you’re not ready to talk about yet",
    "goals": "Goals",
    "homework": "Homework",
    "measures": "Questionnaires",
    "safety": "Thoughts of self-harm you reported",
    "relationship": "How working together feels",
    "attendance": "Recent sessions",
}
LIST_SECTIONS = ("symptoms", "agenda", "flagged", "goals", "homework", "measures", "relationship")


def visible(snapshot: dict, hidden: list[str], included_thoughts: list[int]) -> dict:
    """The snapshot as the therapist would see it: left-out sections and items
    removed, and a flagged day's own words only where the patient included them."""
    hidden_set = set(hidden)
    shown = {key: value for key, value in snapshot.items() if key not in SECTIONS}
    for section in SECTIONS:
        if f"section:{section}" in hidden_set or section not in snapshot:
            shown[section] = None
            continue
        value = snapshot[section]
        if section in LIST_SECTIONS:
            value = [item for item in value if item["key"] not in hidden_set]
        if section == "days":
            value = {k: v for k, v in value.items() if k not in hidden_set}
        if section == "flagged":
            value = [
                {**item, "thought": item["thought"] if item["entry"] in included_thoughts else ""}
                for item in value
            ]
        shown[section] = value
    return shown


def draft_for(appointment: Appointment) -> PreSessionSummary | None:
    return PreSessionSummary.objects.filter(appointment=appointment, version=0).first()


def latest_shared(appointment: Appointment) -> PreSessionSummary | None:
    return (
        PreSessionSummary.objects.filter(appointment=appointment, version__gt=0)
        .order_by("-version")
        .first()
    )


@transaction.atomic
def generate_draft(appointment: Appointment, *, only_if_stale: bool = False) -> PreSessionSummary:
    """Build (or rebuild) the draft, keeping the patient's earlier choices. With
    `only_if_stale`, a draft whose inputs have not changed is returned as it is."""
    # Read before building: a change landing in between leaves the draft looking out
    # of date (and built again next time), never up to date when it is not.
    inputs = inputs_of(appointment)
    draft = (
        PreSessionSummary.objects.select_for_update()
        .filter(appointment=appointment, version=0)
        .first()
    )
    if only_if_stale and draft is not None and draft.inputs == inputs:
        return draft
    snapshot = build(appointment)
    if draft is None:
        draft = PreSessionSummary(appointment=appointment, version=0)
    elif _content(draft.snapshot) == _content(snapshot):
        # Nothing shown changed: the revision (and any share) still holds.
        if draft.inputs != inputs:
            draft.inputs = inputs
            draft.save(update_fields=["inputs"])
        return draft
    period = snapshot["period"]
    draft.snapshot = snapshot
    draft.inputs = inputs
    draft.period_start = date.fromisoformat(period["start"])
    draft.period_end = date.fromisoformat(period["end"])
    draft.revision += 1
    draft.save()
    return draft


def _is_upcoming(appointment: Appointment) -> bool:
    return not appointment.has_started and not appointment.is_cancelled


def review_snapshot(appointment: Appointment, draft: PreSessionSummary) -> dict:
    """What the patient reviews: the summary as it would be shared now. That is the
    stored draft while nothing it was built from has changed; otherwise it is built
    in memory (a page never writes; the next POST or the beat task stores it). Once
    the session has begun, the draft as it stands."""
    if _is_upcoming(appointment) and draft.inputs != inputs_of(appointment):
        return build(appointment)
    return draft.snapshot


def refresh_draft(appointment: Appointment) -> PreSessionSummary:
    """The draft brought up to date before the patient's choices are saved: the
    choices apply to the summary the page showed."""
    if _is_upcoming(appointment):
        return generate_draft(appointment, only_if_stale=True)
    return draft_for(appointment)


def _content(snapshot: dict) -> dict:
    return {key: value for key, value in snapshot.items() if key != "generated_at"}


@transaction.atomic
def save_choices(draft: PreSessionSummary, hidden: list[str], included_thoughts: list[int]):
    known = item_keys(draft.snapshot)
    entries = {item["entry"] for item in draft.snapshot.get("flagged", [])}
    hidden = sorted(key for key in hidden if key in known)
    included_thoughts = sorted(entry for entry in included_thoughts if entry in entries)
    if hidden == draft.hidden and included_thoughts == draft.included_thoughts:
        # The same choices again (Share pressed twice): the revision, and the
        # version shared from it, still hold.
        return
    draft.hidden = hidden
    draft.included_thoughts = included_thoughts
    draft.revision += 1
    draft.save(update_fields=["hidden", "included_thoughts", "revision", "updated_at"])


def item_keys(snapshot: dict) -> set[str]:
    keys = {f"section:{section}" for section in SECTIONS}
    for section in LIST_SECTIONS:
        keys.update(item["key"] for item in snapshot.get(section) or [])
    keys.update(("best_day", "worst_day"))
    return keys


@transaction.atomic
def share(appointment: Appointment) -> PreSessionSummary:
    """Freeze what the patient left in as the next shared version, rebuilt from the
    journal as it is now: anything deleted, unflagged or made private since the draft
    was prepared stays out. Pressing Share twice on an unchanged draft returns the
    version already shared."""
    draft = generate_draft(appointment)  # locks the draft row until commit
    latest = latest_shared(appointment)
    if latest and latest.shared_from_revision == draft.revision:
        return latest
    now = timezone.now()
    return PreSessionSummary.objects.create(
        appointment=appointment,
        status=PreSessionSummary.Status.SHARED,
        version=(latest.version if latest else 0) + 1,
        period_start=draft.period_start,
        period_end=draft.period_end,
        snapshot=visible(draft.snapshot, draft.hidden, draft.included_thoughts),
        shared_from_revision=draft.revision,
        created_at=now,
        shared_at=now,
    )


# Showing a snapshot ---------------------------------------------------------------


def display(snapshot: dict) -> dict:
    """Charts and dates for showing a snapshot; the data itself is never changed."""
    if not snapshot:
        return {}
    period = snapshot["period"]
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    series = snapshot.get("series") or []
    shown = {"start": start, "end": end}
    if series:
        points = [(date.fromisoformat(row[0]), row[1:]) for row in series]
        by_day = dict(points)
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        # One small chart per scale, in each scale's colour: three lines on one chart
        # would cross and hide each other.
        panels = [
            charts.Panel(
                name,
                [
                    charts.Series(
                        name,
                        charts.PALETTE[index],
                        [(day, (by_day.get(day) or [None] * len(SCALES))[index]) for day in days],
                    )
                ],
            )
            for index, name in enumerate(("Mood", "Anxiety", "Energy"))
        ]
        shown["chart"] = charts.small_multiples(
            "summary-scales", panels, start, end, 10, title="Mood, anxiety and energy (0 to 10)"
        )
        shown["rows"] = points
    shown["appointment_at"] = datetime.fromisoformat(snapshot["appointment"]["starts_at"])
    shown["attendance"] = [
        (datetime.fromisoformat(row["starts_at"]), row["outcome"])
        for row in snapshot.get("attendance") or []
    ]
    if snapshot.get("overview"):
        shown["scales"] = [
            {**scale, "name": SCALE_NAMES[field], "change_words": _scale_change(field, scale)}
            for field, scale in snapshot["overview"]["scales"].items()
        ]
    shown["measures"] = [
        {**item, "change_words": _measure_change(item)} for item in snapshot.get("measures") or []
    ]
    return shown


SCALE_NAMES = {"mood": "Mood", "anxiety": "Anxiety", "energy": "Energy", "sleep_hours": "Sleep (h)"}
# Which way each daily scale gets better; sleep has no better way, only more or less.
HIGHER_IS_BETTER = {"mood": True, "anxiety": False, "energy": True, "sleep_hours": None}


def _scale_change(field: str, scale: dict) -> str:
    """The change of an average, in words: the numbers alone do not say that lower
    anxiety is good news. (The daily scales have no reliable-change threshold.)"""
    change = scale["change"]
    if change is None:
        return ""
    if change == 0:
        return "no change"
    if HIGHER_IS_BETTER[field] is None:
        return "more sleep" if change > 0 else "less sleep"
    return "better" if (change > 0) == HIGHER_IS_BETTER[field] else "worse"


def _measure_change(item: dict) -> str:
    """A questionnaire's change since the one before, in words (lower is better):
    better or worse only past the reliable-change threshold (journal/measures.py)."""
    if item["change"] is None:
        return ""
    if item["change"] == 0:
        return "no change"
    if not item["reliable"]:
        return "no reliable change"
    return f"reliably {item['direction']}"
