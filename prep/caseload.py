"""A therapist's caseload at a glance: the day's sessions, the week ahead, and each
patient's week (days logged, mood trend, latest PHQ-9 and GAD-7), for the dashboard
and the patient page.

Each function costs a fixed number of queries however many patients, sessions or
entries there are: figures are aggregated in the database, grouped by patient
(tests/prep/test_dashboard.py counts them at 5 and at 100 patients).

A patient's journal is private (DESIGN.md, principle 1): the week at a glance is
computed only for patients who chose to share it (`User.shares_overview`), and every
time it is shown the access log records the read (on the dashboard as a "week at a
glance", on the patient page as that page).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts import audit
from accounts.access import patients_of
from accounts.models import User
from appointments.models import Appointment
from feedback import records as feedback_records
from journal import measures, safety
from journal.models import DailyEntry, MeasureResponse

from . import plans
from .models import Goal, PreSessionSummary

# "The last 7 days" is the patient's today and the six days before, on their calendar.
WEEK_DAYS = 7
# The mood trend compares the average mood of the last 7 days with the 7 before. A
# difference smaller than MOOD_STEP points (on the 0 to 10 scale) is "steady"; each
# week needs MOOD_DAYS_NEEDED days with mood answered before any trend is claimed.
MOOD_STEP = 1.0
MOOD_DAYS_NEEDED = 2
# The dashboard lists sessions for today and the next 7 days; past WEEK_ROWS rows the
# rest are a link to the sessions list, so the page stays small at any caseload.
DAYS_AHEAD = 7
WEEK_ROWS = 30
# The patient page shows this many of each kind of record; the full lists are linked.
RECENT_SESSIONS = 10
RECENT_SUMMARIES = 10
RECENT_FEEDBACK = 5
RECENT_ALERTS = 5
# Questionnaire history on the patient page: a year at the usual 14 days.
SCORE_HISTORY = 26


def with_summary_status(sessions):
    """Each session with whether a summary was shared for it, or is still a draft."""
    shared = PreSessionSummary.objects.filter(appointment=OuterRef("pk"), version__gt=0)
    draft = PreSessionSummary.objects.filter(appointment=OuterRef("pk"), version=0)
    return sessions.annotate(has_shared=Exists(shared), has_draft=Exists(draft))


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


# The day and the week ------------------------------------------------------------


@dataclass
class Week:
    today: list[Appointment]
    ahead: list[Appointment]
    # How many more sessions the week holds than `ahead` lists.
    more: int


def week_of(therapist: User) -> Week:
    """Today's sessions (the therapist's own calendar day), then the next seven days',
    in one query."""
    today = timezone.localdate(timezone=therapist.zone)
    tomorrow = day_start(today + timedelta(days=1), therapist.zone)
    sessions = list(
        with_summary_status(
            Appointment.objects.booked()
            .of_therapist(therapist)
            .filter(
                starts_at__gte=day_start(today, therapist.zone),
                starts_at__lt=day_start(today + timedelta(days=DAYS_AHEAD + 1), therapist.zone),
            )
            .select_related("patient")
            .order_by("starts_at")
        )
    )
    todays = [s for s in sessions if s.starts_at < tomorrow]
    ahead = sessions[len(todays) :]
    return Week(todays, ahead[:WEEK_ROWS], max(len(ahead) - WEEK_ROWS, 0))


# Each patient's week ---------------------------------------------------------------


@dataclass(frozen=True)
class MoodTrend:
    recent: float | None  # average mood over the last 7 days
    before: float | None  # over the 7 days before those

    @property
    def direction(self) -> str | None:
        """Up, down or steady; None when either week has too few mood answers."""
        if self.recent is None or self.before is None:
            return None
        if self.recent - self.before >= MOOD_STEP:
            return "up"
        if self.before - self.recent >= MOOD_STEP:
            return "down"
        return "steady"

    @property
    def words(self) -> str:
        return {
            "up": "Mood going up",
            "down": "Mood going down",
            "steady": "Mood steady",
        }.get(self.direction, "Too few mood answers for a trend")

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "steady": "→"}.get(self.direction, "")


@dataclass(frozen=True)
class Score:
    questionnaire: measures.Questionnaire
    total: int
    band: str
    taken_at: datetime
    change: measures.Change | None


@dataclass
class Glance:
    """One patient's week at a glance. `shared` False means the patient has not chosen
    to share it, and nothing else is filled in."""

    patient: User
    shared: bool
    days_logged: int = 0
    mood: MoodTrend | None = None
    scores: list[Score] = field(default_factory=list)


def _days_back(todays: dict[str, date], newest: int, oldest: int) -> Q:
    """Entries from `oldest` to `newest` days before each patient's own today
    (patients are grouped by time zone, so the query has one term per zone)."""
    window = Q()
    for zone, today in todays.items():
        window |= Q(
            patient__timezone=zone,
            day__gte=today - timedelta(days=oldest),
            day__lte=today - timedelta(days=newest),
        )
    return window


def _entry_figures(patients: list[User]) -> dict[int, dict]:
    """Per patient: days logged in the last 7 and the mood averages of the two weeks,
    in one grouped query."""
    if not patients:
        return {}
    todays = {p.timezone: timezone.localdate(timezone=p.zone) for p in patients}
    recent = _days_back(todays, 0, WEEK_DAYS - 1)
    before = _days_back(todays, WEEK_DAYS, 2 * WEEK_DAYS - 1)
    rows = (
        DailyEntry.objects.filter(patient__in=patients)
        .filter(recent | before)
        .order_by()
        .values("patient_id")
        .annotate(
            days=Count("pk", filter=recent),
            recent_mood=Avg("mood", filter=recent),
            recent_moods=Count("mood", filter=recent),
            before_mood=Avg("mood", filter=before),
            before_moods=Count("mood", filter=before),
        )
    )
    return {row["patient_id"]: row for row in rows}


def latest_scores(patients: list[User], per_kind: int = 2):
    """The newest `per_kind` PHQ-9 and GAD-7 responses of each patient, newest first,
    in one query (numbered per patient and questionnaire by a window function)."""
    return (
        MeasureResponse.objects.filter(patient__in=patients)
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("patient_id"), F("kind")],
                order_by=F("taken_at").desc(),
            )
        )
        .filter(newest__lte=per_kind)
        .defer("answers")
        .order_by("patient_id", "kind", "-taken_at")
    )


def _scores(patients: list[User]) -> dict[int, list[Score]]:
    """Each patient's latest score per questionnaire, with the change since the one
    before (reliable or not, by journal.measures' thresholds)."""
    newest: dict[tuple[int, str], list[MeasureResponse]] = {}
    for response in latest_scores(patients):
        newest.setdefault((response.patient_id, response.kind), []).append(response)
    scores: dict[int, list[Score]] = {}
    for questionnaire in measures.QUESTIONNAIRES.values():
        for patient in patients:
            pair = newest.get((patient.pk, questionnaire.kind))
            if not pair:
                continue
            latest = pair[0]
            previous = pair[1].total if len(pair) > 1 else None
            scores.setdefault(patient.pk, []).append(
                Score(
                    questionnaire,
                    latest.total,
                    latest.band,
                    latest.taken_at,
                    measures.change(questionnaire, previous, latest.total),
                )
            )
    return scores


def patients(therapist: User) -> list[User]:
    """The patients in this therapist's care, by name, in one query."""
    return list(patients_of(therapist).defer("phone").order_by("first_name", "last_name", "email"))


def glances(therapist: User, shown: list[User]) -> list[Glance]:
    """The week at a glance of each patient shown (all in this therapist's care), in
    three queries however many. Records one access-log read per patient whose figures
    are shown."""
    sharing = [p for p in shown if p.shares_overview]
    figures, scores = _entry_figures(sharing), _scores(sharing)
    audit.record_many(therapist, audit.Kind.OVERVIEW, ((p, "") for p in sharing))
    return [_glance(patient, figures, scores) for patient in shown]


def _glance(patient: User, figures: dict, scores: dict) -> Glance:
    if not patient.shares_overview:
        return Glance(patient, shared=False)
    row = figures.get(patient.pk, {})
    return Glance(
        patient,
        shared=True,
        days_logged=row.get("days", 0),
        mood=MoodTrend(
            _mean(row, "recent_mood", "recent_moods"), _mean(row, "before_mood", "before_moods")
        ),
        scores=scores.get(patient.pk, []),
    )


def _mean(row: dict, average: str, answered: str) -> float | None:
    return row[average] if row.get(answered, 0) >= MOOD_DAYS_NEEDED else None


# One patient's page ----------------------------------------------------------------


@dataclass
class PatientRecord:
    """Everything the therapist's page about one patient shows, each list bounded."""

    glance: Glance
    upcoming: list[Appointment]
    past: list[Appointment]
    summaries: list[dict]
    score_history: list  # journal.measures.Trend per questionnaire; empty if not shared
    feedback: list
    goals: list
    open_homework: list
    alerts: list
    reach: dict


def patient_record(therapist: User, patient: User) -> PatientRecord:
    """The sessions (to come and past, with outcomes and confirmations), shared
    summaries, questionnaire scores (if the patient shares them), the feedback the
    patient shares with this therapist, goals, open homework and safety alerts, in a
    fixed number of queries."""
    now = timezone.now()
    sessions = with_summary_status(
        Appointment.objects.of_therapist(therapist).filter(patient=patient)
    ).select_related("patient")
    upcoming = list(
        sessions.booked().filter(starts_at__gte=now).order_by("starts_at")[:RECENT_SESSIONS]
    )
    past = list(sessions.filter(starts_at__lt=now).order_by("-starts_at")[:RECENT_SESSIONS])
    # Values only: a shared summary's snapshot (encrypted, large) is read on its page.
    shared = list(
        PreSessionSummary.objects.filter(
            appointment__therapist=therapist, appointment__patient=patient, version__gt=0
        )
        .order_by()
        .values("appointment_id", "appointment__starts_at")
        .annotate(versions=Count("pk"), shared_at=Max("shared_at"))
        .order_by("-appointment__starts_at")[:RECENT_SUMMARIES]
    )
    history = []
    if patient.shares_overview:
        responses = sorted(
            latest_scores([patient], per_kind=SCORE_HISTORY), key=lambda r: r.taken_at
        )
        history = measures.history(responses, therapist.zone)
    return PatientRecord(
        glance=_glance(patient, _entry_figures([patient]) if patient.shares_overview else {}, {}),
        upcoming=upcoming,
        past=past,
        summaries=shared,
        score_history=history,
        feedback=list(
            feedback_records.visible_to_therapist(therapist, patient)
            .select_related("alert", "escalation")
            .order_by("-session_at")[:RECENT_FEEDBACK]
        ),
        goals=list(Goal.objects.filter(patient=patient)),
        open_homework=list(plans.open_homework(patient)),
        alerts=list(
            safety.alerts_for(therapist)
            .filter(patient=patient)
            .annotate(contact_count=Count("contacts"))
            .order_by("-created_at")[:RECENT_ALERTS]
        ),
        reach=safety.how_to_reach(patient),
    )
