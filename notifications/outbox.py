"""Putting an email in the outbox: one call, inside the transaction of the change
that causes it, so the email exists exactly when the change does."""

from datetime import UTC, datetime

from django.utils import timezone

from .kinds import get
from .models import Message

Status = Message.Status


def make_key(kind: str, target: str, due_at: datetime, variant: str = "") -> str:
    if variant:
        target += f"/{variant}"
    return f"{kind}:{target}:{due_at.astimezone(UTC):%Y%m%dT%H%M}"


def enqueue(
    kind: str,
    *,
    target_id: int,
    recipient=None,
    due_at: datetime | None = None,
    variant: str = "",
    tag: str = "",
    revive: bool = False,
) -> Message:
    """The email of this kind about `target_id`, due at `due_at` (now by default).
    Written once per key: a replayed request finds the row already there. `variant`
    names which of a kind's emails about one target this is (the first or the
    second reminder); it is stored on the row for the send-time check to read.
    `tag` tells apart emails that share a target and a minute (one per recipient,
    one per move). With `revive`, a row cancelled earlier is made pending again (a
    session moved back to a time planned before)."""
    get(kind)  # fail loudly on a kind nobody registered
    due_at = due_at or timezone.now()
    target = f"{target_id}{tag}"
    if recipient is not None:
        target += f"u{recipient.pk}"
    message, _ = Message.objects.get_or_create(
        key=make_key(kind, target, due_at, variant),
        defaults={
            "kind": kind,
            "target_id": target_id,
            "variant": variant,
            "recipient": recipient,
            "due_at": due_at,
        },
    )
    if revive and message.status == Status.CANCELLED:
        message.status = Status.PENDING
        message.save(update_fields=["status"])
    return message


def cancel_pending(kinds, target_id: int, **filters) -> int:
    """Withdraw emails not sent yet (a cancelled session's reminders)."""
    return (
        Message.objects.pending()
        .about(kinds, target_id)
        .filter(**filters)
        .update(status=Status.CANCELLED)
    )
