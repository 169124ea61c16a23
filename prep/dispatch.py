"""The dispatcher's steps, each small enough for a test to call one at a time.

1. `release_stale_claims`: a row claimed but not marked sent within
   REMINDER_CLAIM_TIMEOUT (its worker died) goes back to pending. If that worker
   had already handed the message to the mail server, the recipient gets it twice:
   a rare duplicate is better than a lost reminder. The window is one message per
   dead worker, claimed at most REMINDER_CLAIM_TIMEOUT ago.
2. `claim_due`: lock due pending rows with `select_for_update(skip_locked=True)` and
   mark them sending in one short transaction, so two dispatchers never share a row.
3. `send_claimed`: send over one mail connection, mark each row sent as soon as the
   server accepts it; a failure is recorded and retried with exponential backoff up
   to REMINDER_MAX_ATTEMPTS, then the row is failed, visible to the therapist.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import reminders
from .models import Reminder

logger = logging.getLogger(__name__)
Status = Reminder.Status


def release_stale_claims(now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    return Reminder.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.PENDING, claimed_at=None
    )


def claim_due(limit: int, now=None) -> list[int]:
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Reminder.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_at=now)
    return ids


def send_claimed(ids: list[int]) -> dict[str, int]:
    counts = {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    if not ids:
        return counts
    rows = (
        Reminder.objects.filter(pk__in=ids, status=Status.SENDING)
        .select_related("recipient", "appointment__therapist", "appointment__patient")
        .order_by("due_at")
    )
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        for reminder in rows:
            counts[_send_one(reminder, connection)] += 1
    except Exception as error:
        # The mail server is unreachable: every claimed row not yet handled waits.
        logger.warning("Mail connection failed: %s", error)
        for reminder in Reminder.objects.filter(pk__in=ids, status=Status.SENDING):
            counts[_failed(reminder, error)] += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)
    return counts


def _send_one(reminder: Reminder, connection) -> str:
    if not reminders.still_wanted(reminder):
        _finish(reminder, Status.SKIPPED)
        return "skipped"
    message = reminders.build(reminder)
    message.connection = connection
    try:
        message.send()
    except Exception as error:
        return _failed(reminder, error)
    _finish(reminder, Status.SENT, sent_at=timezone.now())
    return "sent"


def _finish(reminder: Reminder, status: str, **fields) -> None:
    Reminder.objects.filter(pk=reminder.pk, status=Status.SENDING).update(status=status, **fields)


def _failed(reminder: Reminder, error: Exception) -> str:
    attempts = reminder.attempts + 1
    give_up = attempts >= settings.REMINDER_MAX_ATTEMPTS
    backoff = timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    Reminder.objects.filter(pk=reminder.pk, status=Status.SENDING).update(
        status=Status.FAILED if give_up else Status.PENDING,
        attempts=attempts,
        next_attempt_at=None if give_up else timezone.now() + backoff,
        last_error=str(error)[:300],
        claimed_at=None,
    )
    logger.warning("Reminder %s attempt %s failed: %s", reminder.pk, attempts, error)
    return "failed" if give_up else "retry"


def dispatch(batch_size: int | None = None) -> dict[str, int]:
    """One run: release, then claim and send batches until nothing is due."""
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    release_stale_claims()
    totals = {"sent": 0, "skipped": 0, "retry": 0, "failed": 0}
    while ids := claim_due(batch_size):
        for outcome, count in send_claimed(ids).items():
            totals[outcome] += count
        if len(ids) < batch_size:
            break
    return totals
