from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .kinds import get, kind_label


class MessageQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Message.Status.PENDING)

    def about(self, kinds, target_id: int):
        return self.filter(kind__in=kinds, target_id=target_id)


class Message(models.Model):
    """The outbox: one row per email the app sends, whatever its cause.

    A row is written in the same transaction as the change that causes it
    (notifications/outbox.py `enqueue`) and sent only by the per-minute dispatcher
    (notifications/dispatch.py), which claims rows with
    `select_for_update(skip_locked=True)`. `key` makes each (kind, target, variant,
    due time) exist once, so a replayed request or re-planning never doubles an
    email. The outbox knows no domain: `kind` names a kind an app registered,
    `target_id` the id of what it is about (an appointment, an alert, an invitation,
    a person), `variant` which of a kind's emails about it this is, when a kind has
    more than one (the first or the second reminder before a session).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Not needed"
        # Not sent in time (an outage, retries): dropped rather than sent late.
        EXPIRED = "expired", "Too late, not sent"

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40)
    target_id = models.PositiveBigIntegerField()
    # Set by the planning app and read back at send time, never inferred from times.
    variant = models.CharField(max_length=20, blank=True)
    # Empty for an address that is not an account yet (an invitation).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The dispatcher's scan: pending rows whose time has come.
            models.Index(
                fields=["due_at"], condition=Q(status="pending"), name="notifications_due_idx"
            ),
            models.Index(fields=["status", "claimed_at"], name="notifications_claimed_idx"),
            # Re-planning and cancelling: the pending emails about one thing.
            models.Index(fields=["target_id", "kind"], name="notifications_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} at {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def target(self):
        """What this email is about, as its kind loads it (notifications/kinds.py):
        for a whole batch at once by the dispatcher, else on first use."""
        if not hasattr(self, "_target"):
            kind = get(self.kind)
            self._target = kind.load([self]).get(self.pk) if kind.load else None
        return self._target

    def set_target(self, target) -> None:
        self._target = target


class EmailPreference(models.Model):
    """What a person wants to receive. Every email that may be turned off names its
    category and carries a one-click link to turn that category off."""

    class Category(models.TextChoices):
        REMINDERS = "reminders", "Appointment reminders"
        BOOKINGS = "bookings", "Booking changes and follow-ups"
        DAILY = "daily", "Daily log reminder"
        SUMMARIES = "summaries", "Summary ready to review"
        FEEDBACK = "feedback", "Requests for session feedback"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    reminders = models.BooleanField("Appointment reminders", default=True)
    reminder_first = models.BooleanField("The day-before reminder", default=True)
    reminder_second = models.BooleanField("The same-day reminder", default=True)
    bookings = models.BooleanField("Booking changes and follow-ups", default=True)
    daily = models.BooleanField("Daily log reminder", default=True)
    daily_paused_until = models.DateField(null=True, blank=True)
    summaries = models.BooleanField("Summary ready to review", default=True)
    feedback = models.BooleanField("Requests for session feedback", default=True)

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"

    def wants(self, category: str) -> bool:
        return getattr(self, category)


class PracticeSettings(models.Model):
    """Settings for the whole practice; one row."""

    first_reminder_hours = models.PositiveSmallIntegerField(
        "First reminder (hours before)", default=24
    )
    second_reminder_hours = models.PositiveSmallIntegerField(
        "Second reminder (hours before)", default=2
    )

    class Meta:
        verbose_name_plural = "practice settings"

    def __str__(self) -> str:
        return "Practice settings"

    @classmethod
    def current(cls) -> "PracticeSettings":
        return cls.objects.order_by("pk").first() or cls()
