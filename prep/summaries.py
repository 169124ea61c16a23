"""The pre-session summary: the days since the last session on one page.

`build` reads the journal, the agenda, goals, homework, questionnaires and
attendance for one appointment and returns a plain dict (the snapshot). Every
piece the patient can leave out has a key; `visible` applies their choices.
Sharing stores the visible part as a new frozen version; the therapist only ever
reads those. The number of queries is fixed, whatever the length of the history.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Q,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date

from appointments.models import Appointment
from core import charts, crypto
from feedback.models import RATINGS, SessionFeedback
from journal import measures
from journal.models import DailyEntry, MeasureResponse, SafetyAlert, SymptomRating

from . import freshness, plans
from .models import Goal, PreSessionSummary
from .templatetags.summary_tags import signed

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
    last = plans.last_attended_session(
        appointment.patient, before=appointment.starts_at, therapist=appointment.therapist
    )
    return _period_since(appointment, last and last.starts_at, today)


def _period_since(
    appointment: Appointment, last_attended: datetime | None, today: date | None = None
) -> tuple[date, date]:
    zone = appointment.patient.zone
    end = _period_end(appointment, today)
    if last_attended:
        start = last_attended.astimezone(zone).date()
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
    last_attended, attendance = _sessions_before(appointment)
    start, end = _period_since(appointment, last_attended, today)
    days = (end - start).days + 1
    # The period before, as long, for the changes in the averages.
    previous_start = start - timedelta(days=days)
    entries = DailyEntry.objects.filter(patient=patient)
    # The period's first and last moments where the patient is (not UTC dates).
    since, until = _moments(start, end, patient.zone)
    lists = _short_lists(patient, since, until)
    # Both periods' days in one read, in order: the averages, the day-by-day series,
    # the best and hardest days and the days marked to bring up are all worked out
    # from them. Only a marked day's words in the period are read (and decrypted).
    columns = ("pk", "day", *SCALES, "flagged", "flagged_thought")
    both_periods = [
        dict(zip(columns, row, strict=True))
        for row in entries.filter(day__range=(previous_start, end))
        .annotate(
            flagged=ExpressionWrapper(
                Q(discuss_next_session=True, day__gte=start), output_field=BooleanField()
            ),
            flagged_thought=Case(
                When(discuss_next_session=True, day__gte=start, then=F("thoughts")),
                default=None,
                output_field=DailyEntry._meta.get_field("thoughts"),
            ),
        )
        .order_by("day")
        .values_list(*columns)
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
        "agenda": [
            {"key": f"agenda:{item.pk}", "kind": item.label, "text": item.text}
            for item in lists["agenda"]
        ],
        "flagged": _flagged(days_in_period),
        "parked": {
            "count": len(lists["parked"]),
            "titles": [topic.text for topic in lists["parked"] if topic.flag],
        },
        "goals": [
            {
                "key": f"goal:{goal.pk}",
                "title": goal.text,
                "status": _GOAL_STATUS.get(goal.label, goal.label),
            }
            for goal in lists["goals"]
        ],
        "homework": [
            {
                "key": f"homework:{item.pk}",
                "description": item.text,
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "done": item.done_at is not None,
            }
            for item in lists["homework"]
        ],
        "measures": _measures(patient, end),
        "safety": [
            {
                "day": alert.at.astimezone(patient.zone).date().isoformat(),
                "source": _SAFETY_SOURCE.get(alert.label, alert.label),
            }
            for alert in lists["safety"]
        ],
        "relationship": _relationship(appointment),
        "attendance": [
            {"starts_at": starts_at.isoformat(), "outcome": outcome}
            for starts_at, outcome in attendance
        ],
    }


_SESSIONS_BEFORE_SQL = """
SELECT starts_at, outcome, listed, counts, listed_place, counts_place FROM (
  SELECT starts_at, outcome, {listed} AS listed, {counts} AS counts,
    ROW_NUMBER() OVER (PARTITION BY {listed} ORDER BY starts_at DESC) AS listed_place,
    ROW_NUMBER() OVER (PARTITION BY {counts} ORDER BY starts_at DESC) AS counts_place
  FROM appointments_appointment
  WHERE patient_id = %(patient)s AND starts_at < %(before)s
) AS sessions
WHERE listed_place <= %(shown)s OR counts_place = 1
ORDER BY starts_at DESC
"""
# 0 stands for "no therapist" (an own session), which no user's id is.
_SAME_THERAPIST = "COALESCE(therapist_id, 0) = %(therapist)s"
_ATTENDED = "outcome IN (%(attended)s, %(late)s)"
_OUTCOMES = dict(Appointment.Outcome.choices)


def _sessions_before(appointment: Appointment) -> tuple[datetime | None, list[tuple]]:
    """When the last attended session the period counts from began (the session
    `period_for` finds) and the latest sessions with the same therapist, as (start,
    outcome shown), in one read: each set numbered newest first, and only the rows
    either set keeps. Plain SQL: the ORM took longer to compose it than to run it."""
    counts = _ATTENDED
    if appointment.therapist_id is not None:
        counts += " AND " + _SAME_THERAPIST
    attended, late = Appointment.ATTENDED
    params = {
        "patient": appointment.patient_id,
        "therapist": appointment.therapist_id or 0,
        "before": connection.ops.adapt_datetimefield_value(appointment.starts_at),
        "shown": ATTENDANCE_SHOWN,
        "attended": attended.value,
        "late": late.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            _SESSIONS_BEFORE_SQL.format(listed=_SAME_THERAPIST, counts=f"({counts})"), params
        )
        rows = cursor.fetchall()
    last = next((_instant(row[0]) for row in rows if row[3] and row[5] == 1), None)
    listed = [
        (_instant(starts_at), str(_OUTCOMES.get(outcome, outcome) or "Not recorded"))
        for starts_at, outcome, is_listed, _counts, place, _ in rows
        if is_listed and place <= ATTENDANCE_SHOWN
    ]
    return last, listed


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


_GOAL_STATUS = {value: str(label) for value, label in Goal.Status.choices}
_SAFETY_SOURCE = {value: str(label) for value, label in SafetyAlert.Source.choices}


# Columns: part, pk, text (encrypted), label, flag, due_on, at, done_at. The empty
# columns are typed: PostgreSQL matches a union's columns pair by pair.
_SHORT_LISTS_SQL = """
SELECT 'agenda', id, text, kind, CAST(NULL AS BOOLEAN), CAST(NULL AS DATE), created_at,
  done_at
FROM prep_agendaitem WHERE patient_id = %(patient)s AND done_at IS NULL
UNION ALL
SELECT 'parked', id, title, '', show_title_in_summary, CAST(NULL AS DATE), created_at,
  CAST(NULL AS TIMESTAMP WITH TIME ZONE)
FROM journal_parkedtopic WHERE patient_id = %(patient)s
UNION ALL
SELECT 'goals', id, title, status, CAST(NULL AS BOOLEAN), CAST(NULL AS DATE), created_at,
  CAST(NULL AS TIMESTAMP WITH TIME ZONE)
FROM prep_goal WHERE patient_id = %(patient)s AND status <> %(dropped)s
UNION ALL
SELECT 'homework', id, description, '', CAST(NULL AS BOOLEAN), due_on, created_at, done_at
FROM prep_homework WHERE patient_id = %(patient)s
  AND (done_at IS NULL OR done_at >= %(since)s)
UNION ALL
SELECT 'safety', id, '', source, CAST(NULL AS BOOLEAN), CAST(NULL AS DATE), created_at,
  CAST(NULL AS TIMESTAMP WITH TIME ZONE)
FROM journal_safetyalert WHERE patient_id = %(patient)s
  AND created_at >= %(since)s AND created_at < %(until)s
"""


def _instant(value) -> datetime | None:
    """A timestamp as the ORM gives it: SQLite hands back naive UTC (or text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


class _Row(NamedTuple):
    part: str
    pk: int
    text: str
    label: str
    flag: bool
    due_on: date | None
    at: datetime
    done_at: datetime | None


def _short_lists(patient, since: datetime, until: datetime) -> dict[str, list[_Row]]:
    """The agenda, parked topics, goals, homework and safety alerts in one read: a
    union of one small select each, in the same columns, then each part in the order
    its own model gives. Plain SQL, as in prep/freshness.py: composed with the ORM,
    the union took longer to put together than the five reads it replaces."""
    ops = connection.ops
    params = {
        "patient": patient.pk,
        "dropped": Goal.Status.DROPPED.value,
        "since": ops.adapt_datetimefield_value(since),
        "until": ops.adapt_datetimefield_value(until),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SHORT_LISTS_SQL, params)
        fetched = cursor.fetchall()
    rows = [
        _Row(
            part,
            pk,
            crypto.decrypt(text) if text else text,
            label,
            bool(flag),
            date.fromisoformat(due_on) if isinstance(due_on, str) else due_on,
            _instant(at),
            _instant(done_at),
        )
        for part, pk, text, label, flag, due_on, at, done_at in fetched
    ]
    lists = {name: [] for name in ("agenda", "parked", "goals", "homework", "safety")}
    for row in rows:
        lists[row.part].append(row)
    for name in ("agenda", "parked", "goals", "safety"):
        lists[name].sort(key=lambda row: (row.at, row.pk))
    # Homework as its model orders it (done_at, due_on, created_at), nulls where
    # this database puts them.
    nulls_last = connection.features.nulls_order_largest
    lists["homework"].sort(
        key=lambda row: (
            (row.done_at is None) == nulls_last, row.done_at or since,
            (row.due_on is None) == nulls_last, row.due_on or date.min,
            row.at, row.pk,
        )
    )  # fmt: skip
    return lists


def _flagged(days_in_period: list[dict]) -> list[dict]:
    return [
        {
            "key": f"flagged:{row['pk']}",
            "entry": row["pk"],
            "day": row["day"].isoformat(),
            "mood": row["mood"],
            "thought": row["flagged_thought"],
        }
        for row in days_in_period
        if row["flagged"]
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


def draft_and_shared(
    appointment: Appointment,
) -> tuple[PreSessionSummary | None, list[PreSessionSummary]]:
    """The draft and the shared versions, newest first, in one read: only the
    draft's snapshot is loaded (and decrypted); a shared version is listed by its
    number and time alone."""
    rows = list(
        PreSessionSummary.objects.filter(appointment=appointment)
        .defer("snapshot")
        .annotate(
            draft_snapshot=Case(
                When(version=0, then=F("snapshot")),
                default=None,
                output_field=PreSessionSummary._meta.get_field("snapshot"),
            )
        )
        .order_by("-version")
    )
    draft = rows.pop() if rows and rows[-1].version == 0 else None
    if draft is not None:
        draft.snapshot = draft.draft_snapshot
    return draft, rows


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
    the session has begun, the draft as it stands. Never change what it returns."""
    if _is_upcoming(appointment):
        inputs = inputs_of(appointment)
        if draft.inputs != inputs:
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
    """What a snapshot shows, ready to print: its charts, and its dates, numbers and
    lines as text (in the current time zone), so that the template only places them.
    The data itself is never changed."""
    if not snapshot:
        return {}
    period = snapshot["period"]
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    series = snapshot.get("series") or []
    shown = {
        "start": start,
        "end": end,
        "period": f"{day_text(start, 'j M')} – {day_text(end, 'j M Y')} · "
        f"{period['days']} days · prepared {_when_text(snapshot['generated_at'], 'j M, H:i')}",
    }
    if series:
        points = [(date.fromisoformat(row[0]), row[1:]) for row in series]
        shown["chart"] = _chart(tuple(tuple(row) for row in series), start, end)
        # The same as a table: the day, then each scale.
        shown["rows"] = [
            (day_text(day, "D j M"), *(_decimal(value) for value in values))
            for day, values in points
        ]
    shown["appointment_at"] = datetime.fromisoformat(snapshot["appointment"]["starts_at"])
    shown["attendance"] = [
        f"{_when_text(row['starts_at'], 'D j M')}: {row['outcome']}"
        for row in snapshot.get("attendance") or []
    ]
    overview = snapshot.get("overview")
    if overview:
        shown["logged"] = f"{overview['logged']} of {overview['days']} days logged."
        shown["scales"] = [
            _scale(field, scale, overview["days"]) for field, scale in overview["scales"].items()
        ]
    days = snapshot.get("days") or {}
    for key in ("best_day", "worst_day"):
        if days.get(key):
            shown[key] = _day_line(days[key])
    shown["symptoms"] = [
        f"{item['name']}: present on {item['days_present']} of {item['days_rated']} days rated, "
        f"average severity {item['mean_severity']} (0–3)"
        for item in snapshot.get("symptoms") or []
    ]
    shown["flagged"] = [
        {
            "day": _when_text(item["day"], "D j M")
            + ("" if item["mood"] is None else f", mood {item['mood']}"),
            "thought": item["thought"],
        }
        for item in snapshot.get("flagged") or []
    ]
    shown["goals"] = [
        f"{item['title']} — {item['status'].lower()}" for item in snapshot.get("goals") or []
    ]
    shown["homework"] = [
        ("✓ done" if item["done"] else "not done yet")
        + f": {item['description']}"
        + (f" (due {_when_text(item['due_on'], 'j M')})" if item["due_on"] else "")
        for item in snapshot.get("homework") or []
    ]
    shown["measures"] = [
        {
            **item,
            "score": f"{item['total']}/{item['max']}",
            "taken": _when_text(item["taken_on"], "j M"),
            "signed_change": signed(item["change"]),
            "change_words": _measure_change(item),
        }
        for item in snapshot.get("measures") or []
    ]
    shown["relationship"] = [
        {
            "line": f"{_when_text(item['session_at'], 'j M')}: heard {_or_dash(item['bond'])}, "
            f"what matters {_or_dash(item['goals'])}, way we work {_or_dash(item['approach'])}, "
            f"overall {_or_dash(item['overall'])}",
            "wants_to_talk": item["wants_to_talk"],
            "comment": item["comment"],
        }
        for item in snapshot.get("relationship") or []
    ]
    shown["safety"] = [
        f"{_when_text(event['day'], 'D j M')} ({event['source']})"
        for event in snapshot.get("safety") or []
    ]
    return shown


@lru_cache(maxsize=64)
def _chart(series: tuple, start: date, end: date) -> str:
    """The day-by-day chart of `series` (a snapshot's, as tuples) from `start` to
    `end`: the same points draw the same chart, so a summary shown again (a shared
    version, or a draft while nothing changes) is not drawn again."""
    by_day = {date.fromisoformat(row[0]): row[1:] for row in series}
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
    return charts.small_multiples(
        "summary-scales", panels, start, end, 10, title="Mood, anxiety and energy (0 to 10)"
    )


def _scale(field: str, scale: dict, days: int) -> dict:
    def answered(count):
        return None if count is None else f"{count} of {days} days answered"

    return {
        "name": SCALE_NAMES[field],
        "average": _or_dash(scale["average"]),
        "answered": answered(scale["answered"]),
        "previous": _or_dash(scale["previous"]),
        "previous_answered": answered(scale["previous_answered"]),
        "change": signed(scale["change"]),
        "change_words": _scale_change(field, scale),
    }


def _day_line(day: dict) -> str:
    sleep = "" if day["sleep_hours"] is None else f", slept {day['sleep_hours']} h"
    return (
        f"{_when_text(day['day'], 'D j M')} — mood {day['mood']}, "
        f"anxiety {_or(day['anxiety'], 'not answered')}, "
        f"energy {_or(day['energy'], 'not answered')}{sleep}"
    )


def _or(value, instead: str) -> str:
    return instead if value is None else str(value)


def _or_dash(value) -> str:
    return _or(value, "–")


def _decimal(value) -> str:
    """As `|floatformat:"-1"|default:"–"` shows a value of the day-by-day table: a
    scale's whole numbers, and sleep to one decimal place where it has one."""
    if value is None:
        return "–"
    if isinstance(value, int) or (value >= 0 and value == round(value, 1)):
        text = f"{value:.1f}"
        return text.removesuffix(".0")
    return floatformat(value, "-1") or "–"


def _when_text(iso: str, format: str) -> str:
    """A date, or a moment in the current time zone, stored as ISO text in a
    snapshot, as the |isodate|date filters show it."""
    if "T" not in iso:
        return day_text(date.fromisoformat(iso), format)
    moment = datetime.fromisoformat(iso)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return format_date(moment, format)


def day_text(day: date, format: str) -> str:
    """A day as the |date filter words it."""
    return _formatted_day(day, format, translation.get_language())


@lru_cache(maxsize=4096)
def _formatted_day(day: date, format: str, language: str) -> str:
    # A summary's days come back page after page: each is worded once per process.
    return format_date(day, format)


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
