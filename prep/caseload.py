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

from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts import audit
from accounts.access import patients_of
from accounts.models import User
from appointments.models import Appointment
from core.converters import LARGEST_ID
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
# Today's sessions are all listed. The week's query reads this many rows for today
# with the week's WEEK_ROWS (more than anyone holds in a day), and reads again on a
# fuller day.
DAY_ROWS = 30
# The patient page shows this many of each kind of record; the full lists are linked.
RECENT_SESSIONS = 10
RECENT_SUMMARIES = 10
RECENT_FEEDBACK = 5
RECENT_ALERTS = 5
# Questionnaire history on the patient page: a year at the usual 14 days.
SCORE_HISTORY = 26
# The columns of a patient the dashboard reads: the name, the time zone and whether
# they share their week. The rest of the row (password, phone, …) stays unread.
PATIENT_COLUMNS = ("first_name", "last_name", "email", "is_active", "timezone", "shares_overview")
# The columns of a session its dashboard row shows.
SESSION_COLUMNS = ("patient", "starts_at", "kind", "location", "outcome", "confirmed_at")


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
    in one query (two on a day of more than DAY_ROWS sessions). It reads at most
    DAY_ROWS + WEEK_ROWS rows, each carrying how many sessions are today and in the
    week (window counts): the rest of the week is counted in the database, not loaded."""
    today = timezone.localdate(timezone=therapist.zone)
    tomorrow = day_start(today + timedelta(days=1), therapist.zone)
    week = (
        with_summary_status(
            Appointment.objects.booked()
            .of_therapist(therapist)
            .filter(
                starts_at__gte=day_start(today, therapist.zone),
                starts_at__lt=day_start(today + timedelta(days=DAYS_AHEAD + 1), therapist.zone),
            )
            .select_related("patient")
            .only(*SESSION_COLUMNS, *(f"patient__{column}" for column in PATIENT_COLUMNS))
        )
        .annotate(
            todays=Window(Count("pk", filter=Q(starts_at__lt=tomorrow))),
            in_week=Window(Count("pk")),
        )
        .order_by("starts_at", "pk")
    )
    sessions = list(week[: DAY_ROWS + WEEK_ROWS])
    if not sessions:
        return Week([], [], 0)
    todays, in_week = sessions[0].todays, sessions[0].in_week
    if todays > DAY_ROWS:
        sessions = list(week[: todays + WEEK_ROWS])
    ahead = sessions[todays : todays + WEEK_ROWS]
    return Week(sessions[:todays], ahead, max(in_week - todays - WEEK_ROWS, 0))


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


def _entry_figures(patients: list[User]) -> dict[int, dict]:
    """Per patient: days logged in the last 7 and the mood averages of the two weeks,
    in one query grouped by patient and week. The weeks end on each patient's own
    today: patients are grouped by that day (one term per calendar day in use), each
    group named by its ids, so no join is needed."""
    if not patients:
        return {}
    groups: dict[date, list[int]] = {}
    for patient in patients:
        groups.setdefault(timezone.localdate(timezone=patient.zone), []).append(patient.pk)
    both_weeks, recent = Q(), Q()
    for today, ids in groups.items():
        both_weeks |= Q(
            patient_id__in=ids,
            day__gte=today - timedelta(days=2 * WEEK_DAYS - 1),
            day__lte=today,
        )
        recent |= Q(patient_id__in=ids, day__gte=today - timedelta(days=WEEK_DAYS - 1))
    rows = (
        DailyEntry.objects.filter(both_weeks)
        .annotate(recent=ExpressionWrapper(recent, output_field=BooleanField()))
        .order_by()
        .values_list("patient_id", "recent")
        .annotate(days=Count("pk"), average=Avg("mood"), answered=Count("mood"))
    )
    figures: dict[int, dict] = {}
    for patient_id, is_recent, days, average, answered in rows:
        row = figures.setdefault(patient_id, {"days": 0, "recent_moods": 0, "before_moods": 0})
        if is_recent:
            row.update(days=days, recent_mood=average, recent_moods=answered)
        else:
            row.update(before_mood=average, before_moods=answered)
    return figures


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
    newest: dict[tuple[int, str], list[tuple]] = {}
    responses = latest_scores(patients).values_list(
        "patient_id", "kind", "total", "band", "taken_at"
    )
    for patient_id, kind, *response in responses:
        newest.setdefault((patient_id, kind), []).append(response)
    scores: dict[int, list[Score]] = {}
    for questionnaire in measures.QUESTIONNAIRES.values():
        for patient in patients:
            pair = newest.get((patient.pk, questionnaire.kind))
            if not pair:
                continue
            total, band, taken_at = pair[0]
            previous = pair[1][0] if len(pair) > 1 else None
            scores.setdefault(patient.pk, []).append(
                Score(
                    questionnaire,
                    total,
                    band,
                    taken_at,
                    measures.change(questionnaire, previous, total),
                )
            )
    return scores


def patients_page(therapist: User, number, per_page: int) -> Page:
    """One page of the patients in this therapist's care, by name, as
    Paginator.get_page gives it (page 1 for a number that is not one, the last page
    past either end), in one query: each row of the page carries how many patients
    there are in all (a window count), so no separate COUNT and no other page's rows.
    A number past either end costs Paginator's own two queries."""
    everyone = (
        patients_of(therapist).only(*PATIENT_COLUMNS).order_by("first_name", "last_name", "email")
    )
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    if 0 <= start <= LARGEST_ID:  # a larger OFFSET overflows; that page is past the end
        rows = list(everyone.annotate(in_care=Window(Count("pk")))[start : start + per_page])
        if rows or number == 1:
            paginator = Paginator(rows, per_page)
            paginator.count = rows[0].in_care if rows else 0  # cached_property, set here
            return Page(rows, number, paginator)
    return Paginator(everyone, per_page).get_page(number)


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
