"""The practice `make bench` measures: by default 20 therapists with 100 patients
each and a year of daily history per patient, plus a therapist with 5 patients who
joined a week ago (the small dashboard, and the "7 days" side of every page).

Each patient logs every day (mood, anxiety, energy, sleep, six symptoms rated,
thoughts on some days), takes PHQ-9 and GAD-7 every 14 days, has a weekly session
(49 in the past year, 5 booked ahead) with reminders sent, rates the relationship
after every other attended session (some low ratings raise alliance alerts, a few
are escalated to the practice manager), sometimes reports thoughts of self-harm
(safety alerts), keeps goals, homework, an agenda and a parked topic, and shares a
summary before each session. Text a person writes is encrypted with the real
fields (bench/bulk.py); the measured patients' summaries are built, shared and
opened through prep/summaries.py itself.

Everything is deterministic: the same scale gives the same data. `seed_scale`
records the scale it loaded (table bench_scale_seed) and reuses it next time.
"""

import json
import math
import random
import time as clock
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AccessRecord, CareLink, User
from appointments.emails import REMINDER
from appointments.models import Appointment
from feedback.models import AllianceAlert, Escalation, SessionFeedback
from journal import measures
from journal.entries import STARTER_SYMPTOMS
from journal.models import (
    DailyEntry,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    Symptom,
    SymptomRating,
)
from notifications.models import Message
from notifications.outbox import make_key
from prep import summaries
from prep.models import AgendaItem, Goal, Homework, PreSessionSummary

from .bulk import Loader

# Bump when what the seed writes changes, so stored data is seeded again.
SCALE_VERSION = 1
DOMAIN = "bench.example"  # reserved (RFC 2606): nothing is ever delivered there
MARKER_TABLE = "bench_scale_seed"
MEASURED_PER_SIZE = 10  # patients of the big therapists whose pages are measured
UPCOMING_SESSIONS = 5
HOLIDAY_WEEKS = {18, 34, 51}  # weeks ago with no session
SHARED_VERSIONS = 3  # of the measured patients' next summary
OPENINGS = 50  # of those versions, by the therapist

FIRST_NAMES = ["Sam", "Alex", "Jo", "Robin", "Kim", "Ali", "Noor", "Ines", "Tom", "Mei"]
LAST_NAMES = ["Patel", "Morgan", "Okafor", "Nowak", "Silva", "Chen", "Byrne", "Haddad"]
ZONES = ["Europe/London"] * 6 + ["America/New_York", "Europe/Berlin"]
THOUGHTS = [
    "Walked to the river after work. Felt lighter than I expected.",
    "Argument with my sister. Kept replaying it at night.",
    "Everything felt heavy today. Stayed in bed most of the morning.",
    "Good day at work; finished the thing I had been avoiding.",
    "Slept badly again. Tired and short with everyone.",
    "Called an old friend. We laughed about school.",
    "Tried the breathing exercise before the meeting. It helped a bit.",
    "Didn't want to go out, went anyway, glad I did.",
]
COMMENTS = [
    "I felt rushed at the end.",
    "It helped to talk about my sister.",
    "I wasn't sure what the homework was for.",
    "Good session, I felt listened to.",
]
GOALS = ["Sleep before midnight most nights", "See friends once a week", "Go back to running"]
HOMEWORK = ["Write down three things that went well", "Ten minutes of breathing practice"]
AGENDA = ["How the new job is going", "Whether to tell my family", "Why Sundays are hard"]
REPLY = "Thank you for telling me. Let's talk about it next time."


@dataclass(frozen=True)
class Scale:
    patients: int = 2000
    per_therapist: int = 100
    days: int = 365
    small_patients: int = 5
    small_days: int = 7

    @property
    def therapists(self) -> int:
        return math.ceil(self.patients / self.per_therapist)

    def key(self) -> dict:
        return {"version": SCALE_VERSION, **asdict(self)}


# Who is who: the bench signs in as these people ------------------------------------


def manager_email() -> str:
    return f"manager@{DOMAIN}"


def therapist_email(number: int | None) -> str:
    """Therapist 1, 2, …; None for the therapist with the small caseload."""
    return f"therapist-{'small' if number is None else f'{number:02d}'}@{DOMAIN}"


def patient_email(therapist: int | None, number: int) -> str:
    return f"patient-{'small' if therapist is None else f'{therapist:02d}'}-{number:03d}@{DOMAIN}"


def measured_patients(scale: Scale) -> dict[str, list[str]]:
    """The patients whose pages are measured: one per big therapist (up to 10), a
    year of history each, and the small therapist's, a week of history each."""
    return {
        "year": [
            patient_email(t, 1) for t in range(1, min(scale.therapists, MEASURED_PER_SIZE) + 1)
        ],
        "week": [patient_email(None, n) for n in range(1, scale.small_patients + 1)],
    }


# The marker: what is loaded --------------------------------------------------------


def marker() -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT scale, seeded_at, seconds FROM {MARKER_TABLE}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    scale, seeded_at, seconds = row
    # Django's PostgreSQL backend hands jsonb back as text.
    return {"scale": json.loads(scale), "seeded_at": seeded_at, "seconds": seconds}


def _write_marker(scale: Scale, seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(scale jsonb NOT NULL, seeded_at timestamptz NOT NULL, seconds float NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, now(), %s)",  # noqa: S608
            [json.dumps(scale.key()), seconds],
        )


def empty_every_table() -> None:
    """Remove all rows of the app (not the content types and permissions that
    migrations made), ids starting again at 1."""
    kept = {"django_content_type", "auth_permission", "django_migrations"}
    tables = [
        name
        for name in connection.introspection.django_table_names(only_existing=True)
        if name not in kept
    ]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    connection.ops.execute_sql_flush(statements)


# Seeding ---------------------------------------------------------------------------


def seed(scale: Scale, log=print) -> dict[str, int]:
    """Load the scale into an empty database, in one transaction."""
    started = clock.monotonic()
    with transaction.atomic():
        _without_foreign_key_triggers()
        loader = Loader()
        practice = _Practice(scale, loader)
        practice.people_and_history()
        log(f"  generated in {clock.monotonic() - started:.0f} s; loading the rest")
        counts = loader.counts()
        loader.flush()
        log(f"  loaded in {clock.monotonic() - started:.0f} s; summaries")
        practice.summaries()
        for label, rows in loader.counts().items():
            counts[label] = counts.get(label, 0) + rows
        loader.flush()
        _write_marker(scale, clock.monotonic() - started)
    return counts


def vacuum_analyze() -> None:
    """Statistics for the planner and a visibility map, as a live database has
    (outside any transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def record_time(seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {MARKER_TABLE} SET seconds = %s", [seconds])  # noqa: S608


def _without_foreign_key_triggers() -> None:
    """The seed writes consistent ids itself: a superuser skips the per-row foreign
    key checks for this transaction (otherwise they run, deferred, at commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _maybe(rng: random.Random, unanswered: float, value):
    return None if rng.random() < unanswered else value


@dataclass
class _Patient:
    pk: int
    email: str
    therapist_pk: int
    zone: ZoneInfo
    name: str
    next_session: int  # id of the first booked session to come
    next_starts_at: datetime
    recent_attended: list[int]  # ids of the last attended sessions, latest first


class _Practice:
    def __init__(self, scale: Scale, loader: Loader):
        self.scale = scale
        self.loader = loader
        self.now = loader.now
        self.password = make_password(None)  # nobody signs in with a password
        self.patients: list[_Patient] = []
        self.staff: list[int] = []

    # People and everything they did -----------------------------------------------

    def people_and_history(self) -> None:
        add = self.loader.add
        year_ago = self.now - timedelta(days=self.scale.days + 7)
        self.manager = self._person(manager_email(), User.Role.MANAGER, "Jo", "Carter", year_ago)
        self.staff.append(self.manager)
        caseloads = [
            (number, self.scale.per_therapist, self.scale.days)
            for number in range(1, self.scale.therapists + 1)
        ]
        caseloads.append((None, self.scale.small_patients, self.scale.small_days))
        remaining = self.scale.patients
        for number, size, days in caseloads:
            if number is not None:
                size = min(size, remaining)
                remaining -= size
            rng = random.Random(f"{SCALE_VERSION}-{number}")  # noqa: S311 (repeatable data)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            therapist = self._person(
                therapist_email(number), User.Role.THERAPIST, first, last, year_ago
            )
            self.staff.append(therapist)
            for index in range(1, size + 1):
                email = patient_email(number, index)
                rng = random.Random(f"{SCALE_VERSION}-{email}")  # noqa: S311
                zone_name = ZONES[index % len(ZONES)]
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                joined = self.now - timedelta(days=days + 7)
                pk = self._person(
                    email,
                    User.Role.PATIENT,
                    first,
                    last,
                    joined,
                    zone_name,
                    # Most let their therapist see their week at a glance.
                    shares_overview=rng.choices((True, False, None), (7, 1, 2))[0],
                )
                add(CareLink, therapist_id=therapist, patient_id=pk, started_at=joined)
                patient = _Patient(
                    pk, email, therapist, ZoneInfo(zone_name), f"{first} {last}", 0, self.now, []
                )
                self._history(patient, rng, days, index)
                self.patients.append(patient)

    def _person(self, email, role, first, last, joined, zone="Europe/London", **more) -> int:
        # A field named here that the model does not have is left out (bench/bulk.py).
        pk = self.loader.add(
            User,
            email=email,
            password=self.password,
            role=role,
            first_name=first,
            last_name=last,
            timezone=zone,
            date_joined=joined,
            is_active=True,
            **more,
        )
        self.loader.add(EmailAddress, user_id=pk, email=email, verified=True, primary=True)
        return pk

    def _history(self, patient: _Patient, rng: random.Random, days: int, index: int) -> None:
        add, zone, now = self.loader.add, patient.zone, self.now
        today = timezone.localdate(now, zone)
        first_day = today - timedelta(days=days - 1)
        symptoms = [
            add(
                Symptom,
                patient_id=patient.pk,
                name=name,
                name_key=_name_key(name),
                created_at=self.now - timedelta(days=days + 7),
            )
            for name in STARTER_SYMPTOMS
        ]
        tendency = [rng.uniform(0, 2) for _ in symptoms]
        base_mood, phase = rng.uniform(4, 7.5), rng.uniform(0, 6.3)

        # The daily log: every day, today included.
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            swing = 1.8 * math.sin(offset / 7 + phase)
            mood = _clamp(base_mood + swing + rng.uniform(-1.5, 1.5), 0, 10)
            written = min(_at(day, 20, 30, zone), now)
            self_harm = rng.random() < 0.002
            entry = add(
                DailyEntry,
                patient_id=patient.pk,
                day=day,
                mood=_maybe(rng, 0.02, mood),
                # Now and then a scale is left unanswered (null, never a guess).
                anxiety=_maybe(rng, 0.04, _clamp(9 - mood + rng.uniform(-2, 2), 0, 10)),
                energy=_maybe(rng, 0.04, _clamp(mood + rng.uniform(-2, 2), 0, 10)),
                sleep_hours=_maybe(rng, 0.05, Decimal(rng.randrange(9, 19)) / 2),
                thoughts=rng.choice(THOUGHTS) if rng.random() < 0.25 else "",
                discuss_next_session=rng.random() < 0.08,
                homework_done=rng.choice((None, None, True, False)),
                self_harm_thoughts=self_harm,
                created_at=written,
                updated_at=written,
            )
            low = (6 - mood) / 3
            for symptom, leaning in zip(symptoms, tendency, strict=True):
                if rng.random() < 0.04:
                    continue  # left unrated: no rating at all
                severity = _clamp(leaning + low + rng.uniform(-1, 1), 0, 3)
                add(SymptomRating, entry_id=entry, symptom_id=symptom, severity=severity)
            if self_harm:
                self._safety_alert(patient, written, source="daily_log", entry_id=entry)

        # PHQ-9 and GAD-7 every 14 days, in the evening.
        for offset in range(0, days, 14):
            taken_at = min(_at(first_day + timedelta(days=offset), 19, 30, zone), now)
            level = rng.uniform(0, 2.2)
            for questionnaire in measures.QUESTIONNAIRES.values():
                answers = [_clamp(level + rng.uniform(-1, 1), 0, 3) for _ in questionnaire.items]
                if questionnaire is measures.PHQ9:
                    answers[measures.PHQ9_SELF_HARM_ITEM] = 1 if rng.random() < 0.01 else 0
                total, band = measures.score(questionnaire, answers)
                response = add(
                    MeasureResponse,
                    patient_id=patient.pk,
                    kind=questionnaire.kind,
                    answers=answers,
                    total=total,
                    band=band,
                    taken_at=taken_at,
                )
                if answers[-1] and questionnaire is measures.PHQ9:
                    self._safety_alert(patient, taken_at, source="phq9", measure_id=response)

        self._sessions(patient, rng, days, index, today)
        self._plans(patient, rng)

    def _safety_alert(self, patient: _Patient, at: datetime, **about) -> None:
        handled = at < self.now - timedelta(days=3)
        self.loader.add(
            SafetyAlert,
            patient_id=patient.pk,
            created_at=at,
            acknowledged_at=at + timedelta(hours=20) if handled else None,
            acknowledged_by_id=patient.therapist_pk if handled else None,
            **about,
        )

    def _sessions(self, patient, rng, days, index, today) -> None:
        add, zone, now = self.loader.add, patient.zone, self.now
        weekday, hour = index % 5, 9 + (index // 5) % 9
        minute = 30 if (index // 45) % 2 else 0
        video = rng.random() < 0.3
        # The latest weekly slot before today, then a week back at a time.
        last = today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
        past = [last - timedelta(weeks=weeks) for weeks in range(52)]
        past = [day for day in past if day > today - timedelta(days=days)]
        if not past:  # a week of history: the first session opened it
            past = [today - timedelta(days=days)]
        upcoming_from = last + timedelta(weeks=1)
        if _at(upcoming_from, hour, minute, zone) <= now:
            upcoming_from += timedelta(weeks=1)
        upcoming = [upcoming_from + timedelta(weeks=n) for n in range(UPCOMING_SESSIONS)]

        def book(day: date, outcome: str) -> tuple[int, datetime]:
            starts = _at(day, hour, minute, zone)
            booked = starts - timedelta(days=10)
            recorded = starts + timedelta(hours=1) if outcome else None
            pk = add(
                Appointment,
                therapist_id=patient.therapist_pk,
                patient_id=patient.pk,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                kind="video" if video else "in_person",
                location=f"https://video.{DOMAIN}/r/{rng.randrange(10**8)}"
                if video
                else f"Room {rng.randrange(1, 5)}",
                outcome=outcome,
                outcome_recorded_at=recorded,
                confirmed_at=starts - timedelta(hours=20) if rng.random() < 0.6 else None,
                created_at=booked,
                updated_at=recorded or booked,
            )
            return pk, starts

        for weeks_ago, day in reversed(list(enumerate(past, start=1))):
            if weeks_ago in HOLIDAY_WEEKS:
                continue
            roll = rng.random()
            outcome = (
                "attended"
                if roll < 0.82
                else "late"
                if roll < 0.88
                else "no_show"
                if roll < 0.92
                else "cancelled_by_patient"
                if roll < 0.96
                else "cancelled_by_therapist"
            )
            if weeks_ago == 1 and rng.random() < 0.25:
                outcome = ""  # attendance not recorded yet
            pk, starts = book(day, outcome)
            if not outcome.startswith("cancelled"):
                self._reminders_sent(patient, pk, starts)
            if outcome in ("attended", "late"):
                patient.recent_attended.insert(0, pk)
                if rng.random() < 0.6:
                    self._feedback(patient, rng, pk, starts)
        for number, day in enumerate(upcoming):
            pk, starts = book(day, "")
            if number == 0:
                patient.next_session, patient.next_starts_at = pk, starts
        del patient.recent_attended[4:]

    def _reminders_sent(self, patient, appointment: int, starts: datetime) -> None:
        for variant, hours in (("first", 24), ("second", 2)):
            due = starts - timedelta(hours=hours)
            if due > self.now:
                continue
            self.loader.add(
                Message,
                key=make_key(REMINDER, f"{appointment}u{patient.pk}", due, variant),
                kind=REMINDER,
                target_id=appointment,
                variant=variant,
                recipient_id=patient.pk,
                due_at=due,
                status=Message.Status.SENT,
                claimed_at=due,
                sent_at=due + timedelta(seconds=2),
                created_at=starts - timedelta(days=10),
            )

    def _feedback(self, patient, rng, appointment: int, starts: datetime) -> None:
        # Mostly high, as relationship ratings are; now and then a hard session.
        base = rng.uniform(8.8, 10.3) - (3 if rng.random() < 0.04 else 0)
        ratings = {
            name: _maybe(rng, 0.03, _clamp(base + rng.uniform(-0.8, 0.5), 0, 10))
            for name in ("bond", "goals", "approach", "overall")
        }
        if all(value is None for value in ratings.values()):
            ratings["overall"] = _clamp(base, 0, 10)
        visibility = rng.choices(("shared", "scores", "private"), (6, 3, 1))[0]
        given = starts + timedelta(hours=2)
        feedback = self.loader.add(
            SessionFeedback,
            appointment_id=appointment,
            patient_id=patient.pk,
            therapist_id=patient.therapist_pk,
            session_at=starts,
            **ratings,
            comment=rng.choice(COMMENTS) if rng.random() < 0.2 else "",
            discuss_next_time=rng.random() < 0.1,
            visibility=visibility,
            created_at=given,
            updated_at=given,
        )
        answered = [value for value in ratings.values() if value is not None]
        mean = sum(answered) / len(answered)
        reasons = [
            f"{name} rated {value}"
            for name, value in ratings.items()
            if value is not None and value <= 6
        ]
        if mean < 9:
            reasons.append(f"Average {mean:.1f} out of 10 ({len(answered)} of 4 answered)")
        if visibility == "private" or not reasons:
            return
        old = given < self.now - timedelta(days=14)
        acknowledged = None
        if old or rng.random() < 0.5:
            acknowledged = given + timedelta(days=rng.choice((1, 2, 3, 1, 2, 9, 11)))
        self.loader.add(
            AllianceAlert,
            feedback_id=feedback,
            therapist_id=patient.therapist_pk,
            reasons=reasons,
            created_at=given,
            acknowledged_at=acknowledged,
            reply=REPLY if acknowledged and rng.random() < 0.3 else "",
        )
        if rng.random() < 0.03:
            self.loader.add(
                Escalation,
                feedback_id=feedback,
                created_at=given,
                message="I would like to talk to someone else at the practice.",
                therapist_may_know=rng.random() < 0.5,
                handled_at=given + timedelta(days=2) if old else None,
                handled_by_id=self.manager if old else None,
            )

    def _plans(self, patient, rng) -> None:
        add, now = self.loader.add, self.now
        for number, title in enumerate(rng.sample(GOALS, 2)):
            add(
                Goal,
                patient_id=patient.pk,
                created_by_id=patient.therapist_pk,
                title=title,
                status="achieved" if number else "active",
                created_at=now - timedelta(days=60),
            )
        for number, description in enumerate(HOMEWORK):
            add(
                Homework,
                patient_id=patient.pk,
                set_by_id=patient.therapist_pk,
                description=description,
                due_on=timezone.localdate(now) + timedelta(days=3),
                done_at=now - timedelta(days=1) if number else None,
                created_at=now - timedelta(days=8),
            )
        for number, text in enumerate(AGENDA):
            add(
                AgendaItem,
                patient_id=patient.pk,
                text=text,
                created_at=now - timedelta(days=5),
                done_at=now - timedelta(days=20) if number == 2 else None,
            )
        add(
            ParkedTopic,
            patient_id=patient.pk,
            title="My father",
            created_at=now - timedelta(days=90),
        )

    # Summaries -----------------------------------------------------------------------

    def summaries(self) -> None:
        """Staff authenticators; the measured patients' summaries built, shared and
        opened through prep/summaries.py; everyone else's stored from one of those."""
        for user in User.objects.filter(pk__in=self.staff):
            TOTP.activate(user, generate_totp_secret())
        measured = measured_patients(self.scale)
        template = None
        by_pk = {patient.pk: patient for patient in self.patients}
        emails = measured["year"] + measured["week"]
        measured_pks = set(User.objects.filter(email__in=emails).values_list("pk", flat=True))
        appointments = Appointment.objects.select_related("patient", "therapist").in_bulk(
            [by_pk[pk].next_session for pk in measured_pks]
        )
        for appointment in appointments.values():
            versions = SHARED_VERSIONS if appointment.patient.email in measured["year"] else 1
            template = self._share(appointment, versions) or template
        add = self.loader.add
        for patient in self.patients:
            if patient.pk in measured_pks:
                continue
            snapshot = {**template, "patient_name": patient.name}
            add(
                PreSessionSummary,
                appointment_id=patient.next_session,
                status="draft",
                version=0,
                period_start=patient.next_starts_at.date() - timedelta(days=7),
                period_end=timezone.localdate(self.now, patient.zone),
                snapshot=snapshot,
                revision=1,
                created_at=self.now,
                updated_at=self.now,
            )
            for appointment in patient.recent_attended:
                summary = add(
                    PreSessionSummary,
                    appointment_id=appointment,
                    status="shared",
                    version=1,
                    period_start=self.now.date(),
                    period_end=self.now.date(),
                    snapshot=snapshot,
                    revision=1,
                    shared_from_revision=1,
                    created_at=self.now,
                    shared_at=self.now,
                    updated_at=self.now,
                )
                add(
                    AccessRecord,
                    viewer_id=patient.therapist_pk,
                    patient_id=patient.pk,
                    kind="summary",
                    object_id=str(summary),
                    at=self.now,
                )

    def _share(self, appointment: Appointment, versions: int) -> dict:
        draft = summaries.generate_draft(appointment)
        shared = []
        for number in range(versions):
            # A different choice each time, so each Share makes a new version.
            summaries.save_choices(draft, ["section:parked"][: number % 2], [])
            shared.append(summaries.share(appointment))
            draft.refresh_from_db()
        AccessRecord.objects.bulk_create(
            AccessRecord(
                viewer=appointment.therapist,
                patient=appointment.patient,
                kind=AccessRecord.Kind.SUMMARY,
                object_id=str(shared[n % len(shared)].pk),
                at=self.now - timedelta(minutes=n),
            )
            for n in range(OPENINGS if versions > 1 else 3)
        )
        return draft.snapshot


def _name_key(name: str) -> str:
    return Symptom._meta.get_field("name_key").hash_of(name)
