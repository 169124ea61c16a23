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
   A batch reads what it needs in a fixed number of queries (its rows with their
   recipients and preferences, then what each kind's emails are about, one load
   per kind) and writes the rows it skips or lets expire together; each email sent
   costs one write, its "sent" mark, made before the next is sent: that write is
   what keeps a dead worker's duplicate to the one message it had in flight.
   A row released and re-claimed by another dispatcher is sent only by the one
   holding the newer claim: a claim old enough to have been taken over is checked
   again just before sending.
   A row whose moment has passed (past its kind's window after its due time, or a
   daily email outside the person's daytime) is marked expired, never sent late.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import daily
from .kinds import get, load_targets
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
    rows = list(
        Message.objects.filter(pk__in=ids, status=Status.SENDING)
        .select_related("recipient", "recipient__email_preference")
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
        _commit_without_waiting_for_disk()
        load_targets(rows)
        to_send = []
        unsent: dict[str, list[Message]] = {Status.SKIPPED: [], Status.EXPIRED: []}
        for message in rows:
            try:
                verdict = _verdict(message, timezone.now())
            except SoftTimeLimitExceeded:
                raise
            except Exception as error:
                counts[_failed(message, error)] += 1
                continue
            if verdict is None:
                to_send.append(message)
            else:
                unsent[verdict].append(message)
        for status, messages in unsent.items():
            _finish_all(messages, status)
        counts["skipped"] += len(unsent[Status.SKIPPED])
        counts["expired"] += len(unsent[Status.EXPIRED])
        for message in to_send:
            counts[_send_one(message, connection)] += 1
    finally:
        _commit_as_usual()
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the mail connection failed", exc_info=True)
    return counts


def _commit_without_waiting_for_disk() -> None:
    """Each "sent" mark is its own commit, made before the next email goes: that
    bounds a dead worker's duplicates to one. PostgreSQL need not wait for the disk
    on these commits: they are seen by every other dispatcher at once, and only a
    crash of the database server itself could lose the last few (well under a
    second's worth), whose rows would then be sent again, never lost. So a batch
    waits on the mail server, not on one disk flush per email."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


def _commit_as_usual() -> None:
    if db.vendor == "postgresql":
        try:
            with db.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:
            logger.debug("Resetting synchronous_commit failed", exc_info=True)


def _verdict(message: Message, now) -> str | None:
    """Why this row is not sent (skipped: no longer wanted; expired: too late), or
    None to send it."""
    if not still_wanted(message):
        return Status.SKIPPED
    if too_late(message, now):
        return Status.EXPIRED
    return None


def _send_one(message: Message, connection) -> str:
    if not _still_ours(message):
        return "skipped"
    # Anything going wrong with one email (its content, the server refusing it) is
    # that email's failure alone; the rest of the batch goes on. Running out of time
    # is not: the task stops, and the claim is released as stale for the next run.
    try:
        if too_late(message, timezone.now()):
            _finish(message, Status.EXPIRED)
            return "expired"
        email = get(message.kind).render(message)
        connection.send_messages([email])
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
    """Whether this dispatcher still holds the row's claim. Nobody may take over a
    claim younger than REMINDER_CLAIM_TIMEOUT (release_stale_claims), so one younger
    than half of it (the other half allows for workers' clocks that differ) is
    ours without asking; an older one is asked about."""
    age = timezone.now() - message.claimed_at
    if age < timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT) / 2:
        return True
    return _mine(message).exists()


def _finish(message: Message, status: str, **fields) -> None:
    _mine(message).update(status=status, **fields)


def _finish_all(messages: list[Message], status: str) -> None:
    """One write for many rows, each still under the claim it was read with."""
    claims: dict = {}
    for message in messages:
        claims.setdefault(message.claimed_at, []).append(message.pk)
    for claimed_at, pks in claims.items():
        Message.objects.filter(pk__in=pks, status=Status.SENDING, claimed_at=claimed_at).update(
            status=status
        )


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


def dispatch(batch_size: int | None = None, *, on_backlog=None) -> dict[str, int]:
    """One run: release, then claim and send batches until nothing is due. When the
    first batch comes back full, more is due than one batch: `on_backlog` is called
    once (the task asks for another run alongside this one)."""
    batch_size = batch_size or settings.REMINDER_BATCH_SIZE
    release_stale_claims()
    totals = dict.fromkeys(OUTCOMES, 0)
    first = True
    while ids := claim_due(batch_size):
        if first and on_backlog is not None and len(ids) == batch_size:
            on_backlog()
        first = False
        for outcome, count in send_claimed(ids).items():
            totals[outcome] += count
        if len(ids) < batch_size:
            break
    return totals
