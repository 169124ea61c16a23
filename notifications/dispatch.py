"""The dispatcher: the only way an email leaves. Each step is small enough for a
test to call one at a time.

1. `release_stale_claims`: a row claimed but not marked sent within
   REMINDER_CLAIM_TIMEOUT (its worker died) goes back to pending. If that worker
   had already handed the message to the mail server, the recipient gets it twice:
   a rare duplicate is better than a lost reminder. The window is one message per
   dead worker, claimed at most REMINDER_CLAIM_TIMEOUT ago.
2. `claim_due`: lock due pending rows with `select_for_update(skip_locked=True)` and
   mark them sending in one short transaction, so two dispatchers never share a row.
3. `send_claimed`: send over one mail connection, mark each row sent as soon as the
   server accepts it; a refused message is recorded and retried with exponential
   backoff up to REMINDER_MAX_ATTEMPTS, then the row is failed, visible to the
   therapist. A mail server that cannot be reached at all is not the message's
   fault: the batch waits and tries again without using up its attempts.
   Each row is re-checked just before sending, so a row released and re-claimed by
   another dispatcher is sent only by the one holding the newer claim.
   A row whose moment has passed (past its kind's window after its due time, or a
   daily email outside the person's daytime) is marked expired, never sent late.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import daily
from .kinds import get
from .links import preference_for
from .models import Message

logger = logging.getLogger(__name__)
Status = Message.Status
OUTCOMES = ("sent", "skipped", "expired", "retry", "failed")


def release_stale_claims(now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    return Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.PENDING, claimed_at=None
    )


def claim_due(limit: int, now=None) -> list[int]:
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        Message.objects.filter(pk__in=ids).update(status=Status.SENDING, claimed_at=now)
    return ids


def send_claimed(ids: list[int]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    if not ids:
        return counts
    rows = (
        Message.objects.filter(pk__in=ids, status=Status.SENDING)
        .select_related("recipient")
        .order_by("due_at")
    )
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        logger.error("Mail server unreachable, %s emails wait: %s", len(ids), error)
        counts["retry"] += _postpone(ids, error)
        return counts
    try:
        for message in rows:
            counts[_send_one(message, connection)] += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)
    return counts


def _send_one(message: Message, connection) -> str:
    if not _still_ours(message):
        return "skipped"
    # Anything going wrong with one email (its content, the server refusing it) is
    # that email's failure alone; the rest of the batch goes on. Running out of time
    # is not: the task stops, and the claim is released as stale for the next run.
    try:
        if not still_wanted(message):
            _finish(message, Status.SKIPPED)
            return "skipped"
        if too_late(message, timezone.now()):
            _finish(message, Status.EXPIRED)
            return "expired"
        email = get(message.kind).render(message)
        email.connection = connection
        email.send()
    except SoftTimeLimitExceeded:
        raise
    except Exception as error:
        return _failed(message, error)
    _finish(message, Status.SENT, sent_at=timezone.now())
    return "sent"


def still_wanted(message: Message) -> bool:
    """Checked at send time: the recipient may have left, or turned this category
    off, since the row was written; then the kind's own check."""
    kind = get(message.kind)
    recipient = message.recipient
    if recipient is not None:
        if not recipient.is_active:
            return False
        if kind.category and not preference_for(recipient).wants(kind.category):
            return False
    return kind.still_wanted(message)


def too_late(message: Message, now) -> bool:
    """Its moment has passed: later than its kind's window after its due time, or,
    for a daily email, outside the recipient's daytime (after an outage or a run of
    retries, a 21:30 nudge must not arrive at 3 a.m.)."""
    kind = get(message.kind)
    if kind.worth_sending_for is not None and now > message.due_at + kind.worth_sending_for():
        return True
    return bool(kind.daily_for_role) and not daily.in_daytime(message.recipient, now)


def _mine(message: Message):
    return Message.objects.filter(
        pk=message.pk, status=Status.SENDING, claimed_at=message.claimed_at
    )


def _still_ours(message: Message) -> bool:
    return _mine(message).exists()


def _finish(message: Message, status: str, **fields) -> None:
    _mine(message).update(status=status, **fields)


def _postpone(ids: list[int], error: Exception) -> int:
    return Message.objects.filter(pk__in=ids, status=Status.SENDING).update(
        status=Status.PENDING,
        claimed_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS),
        last_error=f"Mail server unreachable: {error}"[:300],
    )


def _failed(message: Message, error: Exception) -> str:
    attempts = message.attempts + 1
    give_up = attempts >= settings.REMINDER_MAX_ATTEMPTS
    backoff = timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS * 2 ** (attempts - 1))
    _mine(message).update(
        status=Status.FAILED if give_up else Status.PENDING,
        attempts=attempts,
        next_attempt_at=None if give_up else timezone.now() + backoff,
        last_error=str(error)[:300],
        claimed_at=None,
    )
    logger.warning("Email %s attempt %s failed: %s", message.pk, attempts, error)
    return "failed" if give_up else "retry"


def dispatch(batch_size: int | None = None) -> dict[str, int]:
    """One run: release, then claim and send batches until nothing is due."""
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    release_stale_claims()
    totals = dict.fromkeys(OUTCOMES, 0)
    while ids := claim_due(batch_size):
        for outcome, count in send_claimed(ids).items():
            totals[outcome] += count
        if len(ids) < batch_size:
            break
    return totals
