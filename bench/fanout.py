"""Reminder fan-out: N appointment reminders fall due at once and go out through
the real outbox, the Celery worker and its dispatcher (notifications/dispatch.py),
to the SMTP sink; against Bsmtp, the same number of messages sent with plain
smtplib over one connection. The sink counts each outbox row's arrivals (duplicates,
losses) and Message-IDs."""

import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from appointments.emails import FIRST, REMINDER, SECOND
from appointments.models import Appointment
from notifications.compose import MESSAGE_HEADER
from notifications.kinds import get
from notifications.models import Message
from notifications.outbox import make_key
from notifications.tasks import dispatch_outbox

BEAT_EVERY = 60  # seconds: what beat does while rows are still due


class Sink:
    """Reads what the sink process logged since `mark`."""

    def __init__(self, log: Path):
        self.log = log
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.log.stat().st_size

    def arrivals(self) -> list[tuple[float, str, str]]:
        with open(self.log, encoding="utf-8") as log:
            log.seek(self.offset)
            text = log.read()
        rows = []
        for line in text.splitlines():
            arrived, row, message_id = line.split("\t")
            rows.append((float(arrived), row, message_id))
        return rows


@dataclass
class Delivery:
    emails: int
    seconds: float
    delivered: int  # distinct messages that arrived
    duplicates: int  # arrivals beyond the first of a message
    lost: int  # messages that never arrived (by the cut-off, when there was one)
    distinct_message_ids: int
    statuses: dict
    cut_off: bool = False  # the bench stopped waiting with rows still to send
    cpu_ms_per_email: dict = field(default_factory=dict)  # by part: worker, database

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else float("nan")


def due_reminders(count: int) -> list[int]:
    """`count` reminders due now, as the booking flow plans them (both of a
    session's reminders when there are fewer sessions than reminders)."""
    now = timezone.now()
    sessions = list(
        Appointment.objects.booked()
        .filter(outcome="", starts_at__gt=now + timedelta(hours=3))
        .order_by("starts_at", "pk")
        .values_list("pk", "patient_id")[:count]
    )
    variants = (FIRST,) if len(sessions) >= count else (FIRST, SECOND)
    due_at = now - timedelta(seconds=30)
    rows = [
        Message(
            key=make_key(REMINDER, f"{pk}u{patient}", due_at, variant),
            kind=REMINDER,
            target_id=pk,
            variant=variant,
            recipient_id=patient,
            due_at=due_at,
        )
        for variant in variants
        for pk, patient in sessions
    ][:count]
    return [row.pk for row in Message.objects.bulk_create(rows, batch_size=2000)]


def through_outbox(count: int, sink: Sink, timeout: float, cpu=dict) -> Delivery:
    """Waits until every row has arrived, or `timeout` seconds (the bench's time
    budget) and then says how many had not. `cpu` reads the CPU seconds the worker
    and the database have used so far, by part (read at every look at the sink)."""
    ids = due_reminders(count)
    wanted = {str(pk) for pk in ids}
    sink.mark()
    cpu_before = cpu()
    started = time.time()
    dispatch_outbox.apply_async()
    last_beat, arrived = started, []
    while time.time() - started < timeout:
        time.sleep(0.5)
        cpu()
        arrived = [a for a in sink.arrivals() if a[1] in wanted]
        if len({row for _, row, _ in arrived}) >= count:
            time.sleep(2)  # let a late duplicate show itself
            arrived = [a for a in sink.arrivals() if a[1] in wanted]
            break
        if time.time() - last_beat >= BEAT_EVERY:
            dispatch_outbox.apply_async()
            last_beat = time.time()
    cpu_after = cpu()
    statuses = Counter(Message.objects.filter(pk__in=ids).values_list("status", flat=True))
    cut_off = bool(statuses.keys() & {Message.Status.PENDING, Message.Status.SENDING})
    # The bench's rows go, so the stored data stays as seeded for the next run.
    Message.objects.filter(pk__in=ids).delete()
    delivery = _delivery(count, wanted, arrived, started, dict(statuses))
    delivery.cut_off = cut_off
    if delivery.delivered:
        delivery.cpu_ms_per_email = {
            part: (cpu_after[part] - cpu_before.get(part, 0.0)) * 1000 / delivery.delivered
            for part in cpu_after
        }
    return delivery


def _delivery(count, wanted, arrived, started, statuses) -> Delivery:
    per_row = Counter(row for _, row, _ in arrived)
    last = max((at for at, _, _ in arrived), default=time.time())
    return Delivery(
        emails=count,
        seconds=last - started,
        delivered=len(per_row),
        duplicates=sum(per_row.values()) - len(per_row),
        lost=len(wanted - set(per_row)),
        distinct_message_ids=len({message_id for _, _, message_id in arrived}),
        statuses=statuses,
    )


def sample_email() -> tuple[bytes, str, str]:
    """A real reminder as the dispatcher would send it (rendered by its kind, with
    its calendar file), for Bsmtp to send copies of."""
    session = (
        Appointment.objects.booked()
        .filter(outcome="", starts_at__gt=timezone.now())
        .select_related("patient")
        .first()
    )
    row = Message(
        pk=0, kind=REMINDER, target_id=session.pk, variant=FIRST,
        recipient=session.patient, due_at=timezone.now(),
    )  # fmt: skip
    built = get(REMINDER).render(row)
    # As Django's SMTP backend sends it; each copy gets its own two headers instead.
    head, body = built.message().as_bytes(linesep="\r\n").split(b"\r\n\r\n", 1)
    own = (b"message-id:", MESSAGE_HEADER.lower().encode() + b":")
    head = b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(own))
    return head + b"\r\n\r\n" + body, built.from_email, session.patient.email


def plain_smtp(count: int, port: int, sink: Sink, run: str) -> Delivery:
    """Bsmtp: `count` copies of a real reminder over one smtplib connection, each
    with its own Message-ID and row header, built before the clock starts."""
    body, sender, recipient = sample_email()
    messages = [
        f"Message-ID: <bsmtp-{run}-{n}@bench>\r\n{MESSAGE_HEADER}: b{run}-{n}\r\n".encode() + body
        for n in range(count)
    ]
    wanted = {f"b{run}-{n}" for n in range(count)}
    sink.mark()
    started = time.time()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for message in messages:
            smtp.sendmail(sender, [recipient], message)
    time.sleep(0.5)
    arrived = [a for a in sink.arrivals() if a[1] in wanted]
    return _delivery(count, wanted, arrived, started, {})
