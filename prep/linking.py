"""Linking up later: a patient who kept their own sessions here before their
therapist joined says, once per care link, whether any of them come into it.

Nothing moves without that answer and nothing is ticked for them. Bringing moves the
chosen sessions (past and to come) to the therapist in one transaction; from then on
they are the therapist's sessions like any other, so the summaries the patient
shared for them become readable through the therapist's usual pages, which only
ever read shared versions. A series among them ends: the sessions already in the
calendar move, and the therapist books the next ones. Keeping moves nothing. Either
answer is recorded on the CareLink, and the question goes away.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import CareLink, User
from appointments import emails
from appointments.models import Appointment, SessionSeries
from notifications.outbox import enqueue

from .models import PreSessionSummary


@dataclass
class NameGroup:
    """The patient's own sessions under one typed therapist name, oldest first."""

    key: str
    sessions: list[Appointment] = field(default_factory=list)
    spellings: Counter = field(default_factory=Counter)
    shared_summaries: int = 0
    # The repeat of a running series among them (1 weekly, 2 fortnightly), if any.
    series_every_weeks: int | None = None

    @property
    def name(self) -> str:
        """The spelling the patient used most often."""
        return self.spellings.most_common(1)[0][0]

    @property
    def past(self) -> int:
        return sum(1 for session in self.sessions if session.has_started)

    @property
    def to_come(self) -> int:
        return sum(1 for session in self.sessions if _still_to_come(session))

    @property
    def cancelled(self) -> int:
        return len(self.sessions) - self.past - self.to_come


@dataclass(frozen=True)
class Moved:
    """What bringing did, in counts (the page says only what happened)."""

    sessions: int
    to_come: int
    series_ended: int


def _still_to_come(session: Appointment) -> bool:
    return not session.has_started and not session.is_cancelled


def own_sessions(patient: User):
    return Appointment.objects.filter(patient=patient, therapist=None)


def _group_key(name: str) -> str:
    # Names are encrypted at rest, so grouping happens here; "Dr  Lee" and "dr lee"
    # are one group. The form posts a digest, never the name itself.
    spelling = " ".join(name.split()).casefold()
    return hashlib.sha256(spelling.encode()).hexdigest()[:16]


def groups_for(patient: User) -> list[NameGroup]:
    """The patient's own sessions grouped by the name they typed, in two queries
    whatever their number."""
    sessions = list(own_sessions(patient).select_related("series").order_by("starts_at", "pk"))
    shared = set(
        PreSessionSummary.objects.filter(
            appointment__in=[session.pk for session in sessions],
            status=PreSessionSummary.Status.SHARED,
        )
        .values_list("appointment_id", flat=True)
        .distinct()
    )
    groups: dict[str, NameGroup] = {}
    for session in sessions:
        name = session.therapist_name.strip() or "No name given"
        key = _group_key(name)
        group = groups.setdefault(key, NameGroup(key=key))
        group.sessions.append(session)
        group.spellings[name] += 1
        group.shared_summaries += session.pk in shared
        if session.series is not None and session.series.ended_at is None:
            group.series_every_weeks = session.series.every_weeks
    return sorted(groups.values(), key=lambda group: group.name.casefold())


def _kept_before_the_link():
    """Own sessions the patient had noted before the link started: only those make
    the question worth asking (sessions noted later, alongside care, are not)."""
    return Appointment.objects.filter(
        patient=OuterRef("patient"), therapist=None, created_at__lt=OuterRef("started_at")
    )


def links_to_ask_about(patient: User):
    """The patient's active care links still waiting for their answer; one query."""
    return (
        CareLink.objects.active()
        .filter(patient=patient, history_decided_at=None)
        .filter(Exists(_kept_before_the_link()))
        .select_related("therapist")
        .order_by("started_at", "pk")
    )


def link_of_patient(patient: User, therapist_id: int) -> CareLink:
    """The patient's active care link with this therapist, or 404."""
    return get_object_or_404(
        CareLink.objects.active().select_related("therapist"),
        therapist_id=therapist_id,
        patient=patient,
    )


def is_waiting(link: CareLink) -> bool:
    return links_to_ask_about(link.patient).filter(pk=link.pk).exists()


def _claim(link: CareLink, brought: bool) -> CareLink | None:
    """Lock the link and record the answer, once: a second answer (a replayed POST,
    another tab) finds it already given and changes nothing."""
    locked = (
        CareLink.objects.select_for_update()
        .filter(pk=link.pk, ended_at=None, history_decided_at=None)
        .first()
    )
    if locked is None:
        return None
    locked.history_decided_at = timezone.now()
    locked.history_brought = brought
    return locked


@transaction.atomic
def keep(link: CareLink) -> bool:
    """Keep every own session to the patient; False if they had already answered."""
    locked = _claim(link, brought=False)
    if locked is None:
        return False
    locked.save(update_fields=["history_decided_at", "history_brought"])
    return True


@transaction.atomic
def bring(link: CareLink, keys: set[str]) -> Moved | None:
    """Move the own sessions of the chosen name groups into this care; None if they
    had already answered or none of the chosen groups exists any more."""
    locked = _claim(link, brought=True)
    if locked is None:
        return None
    # Lock the running series before listing their sessions: a run of
    # appointments/series.py holds the same lock while it adds one, so either its
    # session is listed here or it finds the series ended and adds none.
    list(SessionSeries.objects.select_for_update().filter(patient=link.patient, ended_at=None))
    chosen = [group for group in groups_for(link.patient) if group.key in keys]
    sessions = [session for group in chosen for session in group.sessions]
    if not sessions:
        return None
    now = timezone.now()
    series_ids = {session.series_id for session in sessions if session.series_id}
    # Each keeps its series and occurrence number: the series' unique occurrence
    # stops a run of appointments/series.py racing this one from making it again as
    # an own session; once ended, the series makes no more.
    moved = Appointment.objects.filter(
        pk__in=[session.pk for session in sessions], patient=link.patient, therapist=None
    ).update(therapist=link.therapist, updated_at=now)
    series_ended = SessionSeries.objects.filter(pk__in=series_ids, ended_at=None).update(
        ended_at=now
    )
    to_come = [session for session in sessions if _still_to_come(session)]
    for session in to_come:
        _keep_reminders(session, link.patient)
    locked.history_sessions_moved = moved
    locked.save(update_fields=["history_decided_at", "history_brought", "history_sessions_moved"])
    return Moved(sessions=moved, to_come=len(to_come), series_ended=series_ended)


def _keep_reminders(session: Appointment, patient: User) -> None:
    """A moved session still to come has its reminders like any booked one. The
    outbox keys them by session and time, so those already planned stay as they
    are (and keep working: they name the session, not who it was with)."""
    now = timezone.now()
    for variant, due_at in emails.reminder_times(session).items():
        if due_at > now:
            enqueue(
                emails.REMINDER,
                target_id=session.pk,
                recipient=patient,
                due_at=due_at,
                variant=variant,
            )
