"""Goals, homework and the agenda: the shared plan between sessions.

Goals and homework are visible to the patient and their therapists; the agenda and
the journal entries flagged "bring this up next session" stay the patient's until
they share a pre-session summary. "Since last time" starts on the day of the last
attended session (an entry logged that evening belongs to it), else 14 days back.
The agenda page counts from the last session with any therapist; a pre-session
summary (prep/summaries.py) counts from the last one with its own therapist and
looks back at most 90 days.
"""

from datetime import date, datetime, timedelta

from django.db.models import F, Prefetch
from django.dispatch import receiver
from django.utils import timezone

from appointments.models import Appointment
from feedback.signals import feedback_saved
from journal.models import DailyEntry

from .models import AgendaItem, Goal, GoalComment, Homework

# With no attended session yet, "since last time" means today and the 13 days before.
DEFAULT_PERIOD_DAYS = 14

# The homework form offers sessions from this far back, and every upcoming one.
HOMEWORK_APPOINTMENT_LOOKBACK = timedelta(days=90)


def last_attended_session(patient, before: datetime, therapist=None) -> Appointment | None:
    """The patient's most recent session (with this therapist, or any) that started
    before `before` and was attended (on time or late)."""
    sessions = Appointment.objects.attended().filter(patient=patient, starts_at__lt=before)
    if therapist is not None:
        sessions = sessions.filter(therapist=therapist)
    return sessions.order_by("-starts_at").first()


def period_start(patient, now: datetime | None = None) -> tuple[date, Appointment | None]:
    """The first local day of "since last time", and the session it counts from."""
    now = now or timezone.now()
    session = last_attended_session(patient, now)
    if session is None:
        return patient.today() - timedelta(days=DEFAULT_PERIOD_DAYS - 1), None
    return timezone.localtime(session.starts_at, patient.zone).date(), session


def flagged_entries_since(patient, since_date: date):
    """Journal entries from `since_date` on (inclusive) that the patient marked
    "bring this up next session", newest first."""
    return DailyEntry.objects.filter(
        patient=patient, discuss_next_session=True, day__gte=since_date
    ).order_by("-day")


def goals_for(patient):
    """The patient's goals with their comments and each comment's author, in two
    queries however many there are."""
    return Goal.objects.filter(patient=patient).prefetch_related(
        Prefetch("comments", queryset=GoalComment.objects.select_related("author"))
    )


def homework_for(patient) -> tuple[list[Homework], list[Homework]]:
    """(open, done): open homework by due date, undated last; done homework most
    recently done first."""
    items = list(
        Homework.objects.filter(patient=patient)
        .select_related("appointment", "set_by")
        .order_by(
            F("done_at").desc(nulls_first=True),
            F("due_on").asc(nulls_last=True),
            "created_at",
        )
    )
    return [h for h in items if h.done_at is None], [h for h in items if h.done_at]


def open_homework(patient):
    return Homework.objects.filter(patient=patient, done_at=None).order_by(
        F("due_on").asc(nulls_last=True), "created_at"
    )


def set_homework_done(homework: Homework, done: bool) -> None:
    """Tick or untick; ticking twice keeps the first time it was done."""
    if done and homework.done_at is None:
        homework.done_at = timezone.now()
    elif not done:
        homework.done_at = None
    homework.save(update_fields=["done_at"])


def appointments_for_homework(therapist, patient, now: datetime | None = None):
    """Sessions a piece of homework may belong to: this therapist's with this
    patient, not cancelled, from the last few months on, latest first."""
    now = now or timezone.now()
    return (
        Appointment.objects.booked()
        .filter(
            therapist=therapist,
            patient=patient,
            starts_at__gte=now - HOMEWORK_APPOINTMENT_LOOKBACK,
        )
        .order_by("-starts_at")
    )


def agenda_for(patient) -> tuple[list[AgendaItem], list[AgendaItem]]:
    """(open, talked about): open items oldest first, talked-about ones most
    recent first."""
    items = list(
        AgendaItem.objects.filter(patient=patient).order_by(
            F("done_at").desc(nulls_first=True), "created_at"
        )
    )
    return [i for i in items if i.done_at is None], [i for i in items if i.done_at]


def set_agenda_item_done(item: AgendaItem, done: bool) -> bool:
    """False when the item is gone (removed in another tab since it was read)."""
    if done and item.done_at is None:
        item.done_at = timezone.now()
    elif not done:
        item.done_at = None
    return AgendaItem.objects.filter(pk=item.pk).update(done_at=item.done_at) == 1


# The line relationship feedback adds when the patient asks to talk about it.
RELATIONSHIP_AGENDA = "I’d like to talk about how our sessions are going"


@receiver(feedback_saved, dispatch_uid="prep.relationship_agenda")
def add_relationship_item(sender, feedback, **kwargs) -> None:
    """Feedback that asks to talk about working together, with scores the therapist
    may see, puts that on the patient's agenda once (saved with the feedback)."""
    if not (feedback.discuss_next_time and feedback.therapist_sees_scores):
        return
    open_items = AgendaItem.objects.filter(patient_id=feedback.patient_id, done_at=None)
    # Text is encrypted, so the check for an existing line is made in Python.
    if all(item.text != RELATIONSHIP_AGENDA for item in open_items):
        AgendaItem.objects.create(patient_id=feedback.patient_id, text=RELATIONSHIP_AGENDA)
