"""The emails about a session: the booking notice, moves and cancellations (with an
.ics file), reminders before it (24 h and 2 h by default, practice settings), the
follow-ups once attendance is recorded, and the patient's request for a new time.

Each is planned here, in the transaction of the change that causes it, and sent by
the outbox's dispatcher, which asks `still_wanted` just before sending. Emails say
when and where, never what anyone logged.
"""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.compose import compose
from notifications.kinds import by_target, register
from notifications.links import preference_for
from notifications.models import EmailPreference, Message, PracticeSettings
from notifications.outbox import cancel_pending, enqueue

from .links import action_link, calendar_file, calendar_method
from .models import Appointment

Category = EmailPreference.Category
# A cancellation this close to the start is a late one.
LATE_CANCELLATION = timedelta(hours=24)
# The two reminders before a session (their hours are the practice's settings), as
# recorded on each outbox row, and the preference that turns each off.
FIRST, SECOND = "first", "second"
REMINDER_PREFERENCE = {FIRST: "reminder_first", SECOND: "reminder_second"}


# Every kind here is about one session, loaded for a whole batch at once.
_load = by_target(Appointment.objects.select_related("patient", "therapist"))


def _appointment(message: Message) -> Appointment | None:
    return message.target


def _render(template: str, *, actions=(), ics: str | None = None):
    """A render function for one kind: the session's when and where in the
    recipient's zone, the signed links it offers, and its calendar file."""

    def render(message: Message):
        appointment = _appointment(message)
        recipient = message.recipient
        context = {
            "appointment": appointment,
            "patient_name": appointment.patient.display_name,
            # Who the session is with: the therapist on the app, or the name the
            # patient typed for their own session.
            "therapist_name": appointment.with_whom,
            "starts_at": appointment.starts_at.astimezone(recipient.zone),
            "ends_at": appointment.ends_at.astimezone(recipient.zone),
            "zone": recipient.timezone,
        }
        context.update({f"{action}_url": action_link(appointment, action) for action in actions})
        email = compose(message, template, context)
        if ics:
            cancel = ics == "CANCEL"
            email.attach(
                "session.ics",
                calendar_file(appointment, cancel=cancel),
                "text/calendar; method="
                f"{calendar_method(appointment, cancel=cancel)}; charset=utf-8",
            )
        return email

    return render


def _upcoming(message: Message) -> bool:
    appointment = _appointment(message)
    return appointment is not None and not appointment.outcome


def _exists(message: Message) -> bool:
    return _appointment(message) is not None


def _reminder_wanted(message: Message) -> bool:
    """Each reminder follows its own preference, read from the row's variant (set
    when it was planned), never worked out from the clock."""
    appointment = _appointment(message)
    if appointment is None or appointment.outcome or appointment.starts_at <= timezone.now():
        return False
    preference = REMINDER_PREFERENCE.get(message.variant)
    return preference is None or getattr(preference_for(message.recipient), preference)


def _outcome_is(*outcomes):
    def wanted(message: Message) -> bool:
        appointment = _appointment(message)
        return appointment is not None and appointment.outcome in outcomes

    return wanted


REMINDER = register(
    "appointment_reminder",
    label="Appointment reminder",
    render=_render("appointment_reminder", actions=("confirm", "cancel"), ics="REQUEST"),
    still_wanted=_reminder_wanted,
    category=Category.REMINDERS,
    load=_load,
)
BOOKED = register(
    "booked",
    label="Booking confirmation",
    render=_render("appointment_booked", actions=("confirm", "cancel"), ics="REQUEST"),
    still_wanted=_upcoming,
    category=Category.BOOKINGS,
    load=_load,
)
MOVED = register(
    "moved",
    label="Appointment moved",
    render=_render("appointment_moved", actions=("confirm", "cancel"), ics="REQUEST"),
    still_wanted=_upcoming,
    category=Category.BOOKINGS,
    load=_load,
)
CANCELLED = register(
    "cancelled",
    label="Appointment cancelled",
    render=_render("appointment_cancelled", ics="CANCEL"),
    still_wanted=_exists,
    category=Category.BOOKINGS,
    load=_load,
)
LATE_CANCELLATION_NOTE = register(
    "late_cancellation",
    label="Late cancellation note",
    render=_render("late_cancellation"),
    still_wanted=_exists,
    category=Category.BOOKINGS,
    load=_load,
)
NO_SHOW = register(
    "no_show",
    label="Missed session follow-up",
    render=_render("no_show", actions=("rebook",)),
    still_wanted=_outcome_is(Appointment.Outcome.NO_SHOW),
    category=Category.BOOKINGS,
    load=_load,
)
REBOOK_REQUEST = register(
    "rebook_request",
    label="Request for a new time",
    render=_render("rebook_request"),
    still_wanted=_exists,
    category=Category.BOOKINGS,
    load=_load,
)
# Every kind about one session, for cancelling what is still pending.
ABOUT_A_SESSION = (REMINDER, BOOKED, MOVED, LATE_CANCELLATION_NOTE, NO_SHOW, REBOOK_REQUEST)


# Planning -----------------------------------------------------------------------


def reminder_times(appointment: Appointment) -> dict[str, datetime]:
    """When each reminder is due, by variant: exactly so many hours before the
    session's instant. Counted in UTC, because subtracting hours from a time that
    carries its zone counts on the wall clock (23 or 25 hours across a clock change)."""
    practice = PracticeSettings.current()
    starts_at = appointment.starts_at.astimezone(UTC)
    return {
        FIRST: starts_at - timedelta(hours=practice.first_reminder_hours),
        SECOND: starts_at - timedelta(hours=practice.second_reminder_hours),
    }


@transaction.atomic
def plan_for_booking(appointment: Appointment, *, moved: bool = False) -> None:
    """A new or moved session: a notice now, and reminders before it (replacing any
    planned for the old time)."""
    now = timezone.now()
    cancel_pending([REMINDER], appointment.pk)
    # The patient added or moved their own session themselves and saw it done: a
    # notice only updates a calendar that already holds it.
    if not appointment.is_own or (moved and calendar_may_hold(appointment)):
        # Tagged with the sequence: each move is its own notice, even within a minute.
        enqueue(
            MOVED if moved else BOOKED,
            target_id=appointment.pk,
            recipient=appointment.patient,
            due_at=now,
            tag=f"s{appointment.sequence}",
        )
    for variant, due_at in reminder_times(appointment).items():
        if due_at > now:
            enqueue(
                REMINDER,
                target_id=appointment.pk,
                recipient=appointment.patient,
                due_at=due_at,
                variant=variant,
                revive=True,  # moved back to a time planned before
            )


def is_late_cancellation(appointment: Appointment) -> bool:
    return appointment.starts_at - timezone.now() < LATE_CANCELLATION


def who_hears_of_cancellations(patient: User) -> User | None:
    """Who the outbox will email when a session of this patient's is cancelled (it
    checks the same preference at send time): the patient, unless they turned
    booking emails off. Nobody else is emailed."""
    return patient if preference_for(patient).wants(Category.BOOKINGS) else None


def calendar_may_hold(appointment: Appointment) -> bool:
    """Whether an email with this session's calendar file has gone to the patient, so
    their calendar may hold it."""
    return (
        Message.objects.about([REMINDER, BOOKED, MOVED], appointment.pk)
        .filter(status=Message.Status.SENT)
        .exists()
    )


@transaction.atomic
def plan_for_cancellation(appointment: Appointment) -> None:
    cancel_pending(ABOUT_A_SESSION, appointment.pk)
    if appointment.is_own:
        # The patient cancelled it here; no practice has a late-cancellation policy
        # to tell them about. Only a calendar that holds it needs the update.
        if calendar_may_hold(appointment):
            enqueue(
                CANCELLED,
                target_id=appointment.pk,
                recipient=appointment.patient,
                tag=f"s{appointment.sequence}",
            )
        return
    now = timezone.now()
    enqueue(
        CANCELLED,
        target_id=appointment.pk,
        recipient=appointment.patient,
        due_at=now,
        tag=f"s{appointment.sequence}",
    )
    by_patient = appointment.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    if by_patient and is_late_cancellation(appointment):
        enqueue(
            LATE_CANCELLATION_NOTE,
            target_id=appointment.pk,
            recipient=appointment.patient,
            due_at=now,
        )


def plan_for_outcome(appointment: Appointment) -> None:
    """A kind note after a missed session. Keyed to the session itself, so a
    corrected outcome never sends it twice; the send-time check drops it if the
    outcome was corrected since. Not for an own session: the patient recorded it
    themselves, and there is no one on the app to ask for a new time."""
    if appointment.outcome == Appointment.Outcome.NO_SHOW and not appointment.is_own:
        enqueue(
            NO_SHOW,
            target_id=appointment.pk,
            recipient=appointment.patient,
            due_at=appointment.starts_at,
        )


def rebook_request(appointment: Appointment) -> Message | None:
    """The patient's request for a new time after this session, if they made one."""
    return Message.objects.about([REBOOK_REQUEST], appointment.pk).order_by("pk").first()


def plan_rebook_request(appointment: Appointment) -> Message:
    """The patient asked for a new time after a missed session: tell the therapist.
    Once per session: a second press finds the first request. (Own sessions have
    no therapist on the app; their emails offer no such link.)"""
    return enqueue(
        REBOOK_REQUEST,
        target_id=appointment.pk,
        recipient=appointment.therapist,
        due_at=appointment.starts_at,
    )
