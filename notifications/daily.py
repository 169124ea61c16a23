"""Emails sent once a day at each person's own local reminder time (the daily log
nudge), never at night. Which kinds are daily is registered by the app that owns
them; whether one is still wanted (not on a day already logged) is theirs to say.
One that could not go out within DAILY_EMAIL_WINDOW_MINUTES of its time, or only
outside the person's daytime, is dropped as expired (notifications/dispatch.py)."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .kinds import daily_kinds
from .links import preference_for
from .models import Message
from .outbox import enqueue

# Only between these local hours.
EARLIEST, LATEST = time(7, 0), time(21, 30)


def send_time(person, day) -> datetime:
    local = min(max(person.reminder_time, EARLIEST), LATEST)
    return datetime.combine(day, local, tzinfo=person.zone)


def in_daytime(person, when: datetime) -> bool:
    """Whether `when` falls between EARLIEST and LATEST on the person's own clock,
    to the minute (one due at 21:30 may still leave during 21:30)."""
    local = when.astimezone(person.zone).time().replace(second=0, microsecond=0)
    return EARLIEST <= local <= LATEST


@transaction.atomic
def plan(person, now: datetime | None = None) -> list[Message]:
    """Today's daily emails at the person's own local time (or tomorrow's, once
    today's has passed). Re-planning after a change of time or zone cancels the
    old time."""
    now = now or timezone.now()
    local_today = timezone.localdate(now, timezone=person.zone)
    due_at = send_time(person, local_today)
    if due_at <= now:
        due_at = send_time(person, local_today + timedelta(days=1))
    wanted = preference_for(person).daily
    planned = []
    for kind in daily_kinds():
        if kind.daily_for_role != person.role:
            continue
        # Future ones at another time are replaced; one already due (waiting for a
        # retry or for the broker) is left to the dispatcher, which drops it if stale.
        Message.objects.pending().filter(recipient=person, kind=kind.name, due_at__gt=now).exclude(
            due_at=due_at
        ).update(status=Message.Status.CANCELLED)
        if wanted:
            planned.append(
                enqueue(
                    kind.name, target_id=person.pk, recipient=person, due_at=due_at, revive=True
                )
            )
    return planned


def still_wanted(message: Message) -> bool:
    """The part every daily email shares: not while paused, and only at the time
    the person has now (a row planned before a change of time or zone is dropped)."""
    person = message.recipient
    local_day = message.due_at.astimezone(person.zone).date()
    paused_until = preference_for(person).daily_paused_until
    if paused_until and local_day <= paused_until:
        return False
    return message.due_at == send_time(person, local_day)


def local_day(message: Message):
    return message.due_at.astimezone(message.recipient.zone).date()


def plan_everyone() -> int:
    roles = {kind.daily_for_role for kind in daily_kinds()}
    planned = 0
    for person in User.objects.filter(role__in=roles, is_active=True).iterator():
        planned += len(plan(person))
    return planned
