"""The delivery promise: every scheduled email is a Reminder row (the outbox),
written in the same transaction as the change that causes it, sent by the
per-minute dispatcher (prep/tasks.py), never twice by design and never lost.

This module plans rows (booking, moving, cancelling, attendance, daily nudges),
builds each email (text, HTML, .ics, signed confirm/cancel links, unsubscribe
headers) and decides, at send time, whether a row is still wanted.

Emails say when and where, never what anyone logged.
"""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.emails import build_email
from journal.models import DailyEntry

from .models import Appointment, EmailPreference, PracticeSettings, Reminder

Kind = Reminder.Kind
Category = EmailPreference.Category

CATEGORY_OF = {
    Kind.APPOINTMENT_REMINDER: Category.REMINDERS,
    Kind.BOOKED: Category.BOOKINGS,
    Kind.MOVED: Category.BOOKINGS,
    Kind.CANCELLED: Category.BOOKINGS,
    Kind.NO_SHOW: Category.BOOKINGS,
    Kind.LATE_CANCELLATION: Category.BOOKINGS,
    Kind.DAILY_NUDGE: Category.DAILY,
    Kind.SUMMARY_READY: Category.SUMMARIES,
    Kind.FEEDBACK_REQUEST: Category.FEEDBACK,
    Kind.REBOOK_REQUEST: Category.BOOKINGS,
}

# Daily nudges only between these local hours: never at night.
NUDGE_EARLIEST, NUDGE_LATEST = time(7, 0), time(21, 30)
# A cancellation this close to the start is a late one.
LATE_CANCELLATION = timedelta(hours=24)
ACTION_SALT = "prep.appointment-action"
UNSUBSCRIBE_SALT = "prep.unsubscribe"


def preference_for(user) -> EmailPreference:
    return EmailPreference.objects.filter(user=user).first() or EmailPreference(user=user)


def _key(kind: str, target: str, due_at: datetime) -> str:
    return f"{kind}:{target}:{due_at.astimezone(UTC):%Y%m%dT%H%M}"


def _add(kind, recipient, due_at, appointment=None, tag: str = "") -> Reminder:
    target = (f"a{appointment.pk}" if appointment else f"u{recipient.pk}") + tag
    reminder, _ = Reminder.objects.get_or_create(
        key=_key(kind, target, due_at),
        defaults={
            "kind": kind,
            "recipient": recipient,
            "appointment": appointment,
            "due_at": due_at,
        },
    )
    return reminder


# Planning -----------------------------------------------------------------------


def reminder_times(appointment: Appointment) -> list[datetime]:
    practice = PracticeSettings.current()
    return [
        appointment.starts_at - timedelta(hours=hours)
        for hours in (practice.first_reminder_hours, practice.second_reminder_hours)
    ]


@transaction.atomic
def plan_for_booking(appointment: Appointment, *, moved: bool = False) -> None:
    """A new or moved session: a notice now, and reminders before it (replacing any
    planned for the old time)."""
    now = timezone.now()
    appointment.reminders.filter(
        kind=Kind.APPOINTMENT_REMINDER, status=Reminder.Status.PENDING
    ).update(status=Reminder.Status.CANCELLED)
    notice = Kind.MOVED if moved else Kind.BOOKED
    # Tagged with the sequence: each move is its own notice, even within a minute.
    _add(notice, appointment.patient, now, appointment, tag=f"s{appointment.sequence}")
    for due_at in reminder_times(appointment):
        if due_at > now:
            reminder = _add(Kind.APPOINTMENT_REMINDER, appointment.patient, due_at, appointment)
            if reminder.status == Reminder.Status.CANCELLED:
                # Moved back to a time planned before: revive that row.
                reminder.status = Reminder.Status.PENDING
                reminder.save(update_fields=["status"])


@transaction.atomic
def plan_for_cancellation(appointment: Appointment) -> None:
    appointment.reminders.filter(status=Reminder.Status.PENDING).exclude(
        kind=Kind.CANCELLED
    ).update(status=Reminder.Status.CANCELLED)
    now = timezone.now()
    _add(Kind.CANCELLED, appointment.patient, now, appointment, tag=f"s{appointment.sequence}")
    by_patient = appointment.outcome == Appointment.Outcome.CANCELLED_BY_PATIENT
    if by_patient and appointment.starts_at - now < LATE_CANCELLATION:
        _add(Kind.LATE_CANCELLATION, appointment.patient, now, appointment)


def plan_for_outcome(appointment: Appointment) -> None:
    """A follow-up once attendance is recorded. Keyed to the session itself, so a
    corrected outcome never sends the same email twice; the send-time check drops the
    one that no longer fits (still_wanted)."""
    if appointment.outcome == Appointment.Outcome.NO_SHOW:
        _add(Kind.NO_SHOW, appointment.patient, appointment.starts_at, appointment)
    elif appointment.outcome in Appointment.ATTENDED:
        _add(Kind.FEEDBACK_REQUEST, appointment.patient, appointment.starts_at, appointment)


def plan_rebook_request(appointment: Appointment) -> Reminder:
    """The patient asked for a new time after a missed session: tell the therapist."""
    return _add(Kind.REBOOK_REQUEST, appointment.therapist, timezone.now(), appointment)


def plan_summary_ready(appointment: Appointment) -> None:
    _add(Kind.SUMMARY_READY, appointment.patient, timezone.now(), appointment)


def nudge_time(patient, day) -> datetime:
    local = min(max(patient.reminder_time, NUDGE_EARLIEST), NUDGE_LATEST)
    return datetime.combine(day, local, tzinfo=patient.zone)


@transaction.atomic
def plan_daily_nudge(patient, now: datetime | None = None) -> Reminder | None:
    """Today's nudge at the patient's own local time (or tomorrow's, once today's
    has passed). Re-planning after a settings change cancels the old time."""
    now = now or timezone.now()
    local_today = timezone.localdate(now, timezone=patient.zone)
    due_at = nudge_time(patient, local_today)
    if due_at <= now:
        due_at = nudge_time(patient, local_today + timedelta(days=1))
    # Future nudges at another time are replaced; one already due (waiting for a
    # retry or for the broker) is left to the dispatcher, which drops it if stale.
    Reminder.objects.filter(
        recipient=patient,
        kind=Kind.DAILY_NUDGE,
        status=Reminder.Status.PENDING,
        due_at__gt=now,
    ).exclude(due_at=due_at).update(status=Reminder.Status.CANCELLED)
    if not preference_for(patient).daily:
        return None
    nudge = _add(Kind.DAILY_NUDGE, patient, due_at)
    if nudge.status == Reminder.Status.CANCELLED:
        # Changed away and back again: the same time is wanted after all.
        nudge.status = Reminder.Status.PENDING
        nudge.save(update_fields=["status"])
    return nudge


# Deciding and building ----------------------------------------------------------


def still_wanted(reminder: Reminder) -> bool:
    """Checked at send time: preferences may have changed since planning."""
    recipient = reminder.recipient
    if not recipient.is_active:
        return False
    preference = preference_for(recipient)
    category = CATEGORY_OF[reminder.kind]
    if not preference.wants(category):
        return False
    appointment = reminder.appointment
    if reminder.kind == Kind.APPOINTMENT_REMINDER:
        if appointment.outcome or appointment.starts_at <= timezone.now():
            return False
        first, _second = reminder_times(appointment)
        which = "reminder_first" if reminder.due_at <= first else "reminder_second"
        return getattr(preference, which)
    if reminder.kind == Kind.NO_SHOW:
        return appointment.outcome == Appointment.Outcome.NO_SHOW
    if reminder.kind == Kind.FEEDBACK_REQUEST:
        return appointment.outcome in Appointment.ATTENDED
    if reminder.kind == Kind.DAILY_NUDGE:
        local_day = reminder.due_at.astimezone(recipient.zone).date()
        if preference.daily_paused_until and local_day <= preference.daily_paused_until:
            return False
        if reminder.due_at != nudge_time(recipient, local_day):
            return False  # planned before a change of time or zone; re-planned anew
        return not DailyEntry.objects.filter(patient=recipient, day=local_day).exists()
    return True


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Links in emails stop working after this long (and once the session has started).
ACTION_MAX_AGE = timedelta(days=14)


class LinkError(Exception):
    """Why an emailed link cannot be used; `reason` picks the page shown."""

    def __init__(self, reason: str, appointment: Appointment | None = None):
        super().__init__(reason)
        self.reason = reason
        self.appointment = appointment


def read_action_link(token: str) -> tuple[Appointment, str]:
    try:
        data = signing.loads(token, salt=ACTION_SALT, max_age=ACTION_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    appointment = (
        Appointment.objects.select_related("patient", "therapist").filter(pk=data.get("a")).first()
    )
    if appointment is None or data.get("do") not in ("confirm", "cancel", "rebook"):
        raise LinkError("invalid")
    if data["do"] != "rebook":
        if appointment.is_cancelled:
            raise LinkError("cancelled", appointment)
        if appointment.has_started:
            raise LinkError("started", appointment)
        if data.get("s") != appointment.sequence:
            raise LinkError("moved", appointment)
    return appointment, data["do"]


def read_unsubscribe_link(token: str) -> tuple:
    from accounts.models import User

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise LinkError("invalid") from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or data.get("c") not in Category.values:
        raise LinkError("invalid")
    return user, data["c"]


def action_link(appointment: Appointment, action: str) -> str:
    token = signing.dumps(
        {"a": appointment.pk, "do": action, "s": appointment.sequence}, salt=ACTION_SALT
    )
    return site_url(reverse("prep:appointment_action", args=[token]))


def unsubscribe_link(user, category: str) -> str:
    token = signing.dumps({"u": user.pk, "c": category}, salt=UNSUBSCRIBE_SALT)
    return site_url(reverse("prep:unsubscribe", args=[token]))


def calendar_file(appointment: Appointment, *, cancel: bool = False) -> bytes:
    """An iCalendar invitation; its UID is stable per appointment and SEQUENCE
    follows every move, so calendar apps update the one event."""
    calendar = Calendar()
    calendar.add("prodid", "-//Between Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    host = settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "localhost"
    event.add("uid", f"appointment-{appointment.pk}@{host}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", f"Session with {appointment.therapist.display_name}")
    if appointment.location:
        event.add("location", appointment.location)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("organizer", f"mailto:{appointment.therapist.email}")
    event.add("attendee", f"mailto:{appointment.patient.email}")
    calendar.add_component(event)
    return calendar.to_ical()


TEMPLATE_OF = {
    Kind.APPOINTMENT_REMINDER: "appointment_reminder",
    Kind.BOOKED: "appointment_booked",
    Kind.MOVED: "appointment_moved",
    Kind.CANCELLED: "appointment_cancelled",
    Kind.DAILY_NUDGE: "daily_nudge",
    Kind.SUMMARY_READY: "summary_ready",
    Kind.NO_SHOW: "no_show",
    Kind.LATE_CANCELLATION: "late_cancellation",
    Kind.FEEDBACK_REQUEST: "feedback_request",
    Kind.REBOOK_REQUEST: "rebook_request",
}


def build(reminder: Reminder) -> EmailMultiAlternatives:
    recipient, appointment = reminder.recipient, reminder.appointment
    category = CATEGORY_OF[reminder.kind]
    unsubscribe = unsubscribe_link(recipient, category)
    context = {
        "name": recipient.first_name,
        "unsubscribe_url": unsubscribe,
        "category": Category(category).label.lower(),
        "settings_url": site_url(reverse("prep:email_preferences")),
        "home_url": site_url(reverse("home")),
    }
    if appointment:
        zone = recipient.zone
        context.update(
            patient_name=appointment.patient.display_name,
            appointment=appointment,
            starts_at=appointment.starts_at.astimezone(zone),
            ends_at=appointment.ends_at.astimezone(zone),
            zone=recipient.timezone,
            therapist_name=appointment.therapist.display_name,
            summary_url=site_url(reverse("prep:summary_review", args=[appointment.pk])),
        )
        if reminder.kind in (Kind.APPOINTMENT_REMINDER, Kind.BOOKED, Kind.MOVED):
            context.update(
                confirm_url=action_link(appointment, "confirm"),
                cancel_url=action_link(appointment, "cancel"),
            )
        if reminder.kind == Kind.NO_SHOW:
            context["rebook_url"] = action_link(appointment, "rebook")
        if reminder.kind == Kind.FEEDBACK_REQUEST:
            context["feedback_url"] = site_url(reverse("prep:give_feedback", args=[appointment.pk]))
    if reminder.kind == Kind.DAILY_NUDGE:
        local_day = reminder.due_at.astimezone(recipient.zone).date()
        context["log_url"] = site_url(reverse("journal:entry", args=[local_day]))
    # Dates in the email are the recipient's own local times.
    with timezone.override(recipient.zone):
        message = build_email(TEMPLATE_OF[reminder.kind], context, to=[recipient.email])
    message.extra_headers.update(
        {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Between-Sessions-Reminder": str(reminder.pk),
        }
    )
    if appointment and reminder.kind in (
        Kind.APPOINTMENT_REMINDER,
        Kind.BOOKED,
        Kind.MOVED,
        Kind.CANCELLED,
    ):
        cancel = reminder.kind == Kind.CANCELLED
        message.attach(
            "session.ics",
            calendar_file(appointment, cancel=cancel),
            f"text/calendar; method={'CANCEL' if cancel else 'REQUEST'}; charset=utf-8",
        )
    return message
