from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.access import cared_for_by
from accounts.fields import EncryptedJSONField, EncryptedTextField


class AppointmentQuerySet(models.QuerySet):
    def of_therapist(self, therapist):
        """This therapist's sessions with the patients still in their care."""
        return self.filter(cared_for_by(therapist, "patient"), therapist=therapist)

    def booked(self):
        """Not cancelled: these hold the therapist's time."""
        return self.exclude(outcome__in=Appointment.CANCELLED)

    def attended(self):
        return self.filter(outcome__in=Appointment.ATTENDED)


class Appointment(models.Model):
    """A session between a therapist and a patient. Times are stored in UTC and shown
    in each viewer's own time zone."""

    class Kind(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"

    class Outcome(models.TextChoices):
        ATTENDED = "attended", "Attended"
        LATE = "late", "Attended, late"
        NO_SHOW = "no_show", "Did not attend"
        CANCELLED_BY_PATIENT = "cancelled_by_patient", "Cancelled by patient"
        CANCELLED_BY_THERAPIST = "cancelled_by_therapist", "Cancelled by therapist"

    ATTENDED = (Outcome.ATTENDED, Outcome.LATE)
    CANCELLED = (Outcome.CANCELLED_BY_PATIENT, Outcome.CANCELLED_BY_THERAPIST)

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments_given"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IN_PERSON)
    # The room or address for in-person sessions, the link for video.
    location = models.CharField(max_length=300, blank=True)
    # Empty until the session is cancelled or its attendance is recorded.
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    # Bumped each time the time or place changes (calendar invitations follow it).
    sequence = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["therapist", "starts_at"], name="prep_appt_therapist_idx"),
            models.Index(fields=["patient", "starts_at"], name="prep_appt_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="prep_appointment_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.therapist} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.outcome in self.CANCELLED

    @property
    def was_attended(self) -> bool:
        return self.outcome in self.ATTENDED

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Goal(models.Model):
    """A therapy goal both sides agreed on and both can see."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Working on it"
        ACHIEVED = "achieved", "Achieved"
        PAUSED = "paused", "Paused"
        DROPPED = "dropped", "No longer a goal"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = EncryptedTextField()
    why_it_matters = EncryptedTextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return "Goal"


class GoalComment(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return "Comment on a goal"


class Homework(models.Model):
    """Something to try between sessions, set by the therapist, ticked off by the
    patient."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="homework"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="homework"
    )
    description = EncryptedTextField()
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_on", "created_at"]
        verbose_name_plural = "homework"

    def __str__(self) -> str:
        return "Homework"


class AgendaItem(models.Model):
    """Something the patient wants to talk about, or a question for the therapist."""

    class Kind(models.TextChoices):
        TOPIC = "topic", "Something to talk about"
        QUESTION = "question", "A question"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agenda_items"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TOPIC)
    text = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set once talked about; open items roll on to the next session's summary.
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return "Agenda item"


class PrepPreference(models.Model):
    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prep_preference"
    )
    # Share each generated summary without reviewing it first.
    share_automatically = models.BooleanField(default=False)

    def __str__(self) -> str:
        return "Preparation preferences"


class PreSessionSummary(models.Model):
    """A summary of the days before an appointment (built by prep/summaries.py).

    The draft is the patient's to review: `hidden` lists the item keys they took out,
    `included_thoughts` the entries whose own words they chose to bring. Sharing
    writes a new shared version holding only what remained, frozen; the therapist
    only ever reads shared versions.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHARED = "shared", "Shared"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="summaries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # 0 for the draft, then 1, 2, … for each shared version.
    version = models.PositiveIntegerField(default=0)
    period_start = models.DateField()
    period_end = models.DateField()
    snapshot = EncryptedJSONField()
    hidden = models.JSONField(default=list, blank=True)
    included_thoughts = models.JSONField(default=list, blank=True)
    # Bumped on every change to the draft, so a repeated Share press is recognised.
    revision = models.PositiveIntegerField(default=0)
    shared_from_revision = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["appointment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "version"], name="prep_one_summary_per_version"
            ),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(version=0))
                | (Q(status="shared") & Q(version__gt=0)),
                name="prep_draft_is_version_zero",
            ),
        ]

    def __str__(self) -> str:
        return f"Summary v{self.version} for appointment {self.appointment_id}"


class AccessEvent(models.Model):
    """Someone opened a shared summary; the patient sees every one."""

    summary = models.ForeignKey(
        PreSessionSummary, on_delete=models.CASCADE, related_name="access_events"
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Opened {self.opened_at:%Y-%m-%d %H:%M}"


class ReminderQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Reminder.Status.PENDING)


class Reminder(models.Model):
    """The outbox: one row per email the system sends on a schedule or on an event.

    Rows are written in the same transaction as the change that causes them and sent
    by the per-minute dispatcher (prep/tasks.py), which claims them with
    `select_for_update(skip_locked=True)`. `key` makes each (kind, target, due time)
    exist once, so re-planning never doubles an email.
    """

    class Kind(models.TextChoices):
        APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
        BOOKED = "booked", "Booking confirmation"
        MOVED = "moved", "Appointment moved"
        CANCELLED = "cancelled", "Appointment cancelled"
        DAILY_NUDGE = "daily_nudge", "Daily log reminder"
        SUMMARY_READY = "summary_ready", "Summary ready to review"
        NO_SHOW = "no_show", "Missed session follow-up"
        LATE_CANCELLATION = "late_cancellation", "Late cancellation note"
        FEEDBACK_REQUEST = "feedback_request", "Feedback request"
        REBOOK_REQUEST = "rebook_request", "Request for a new time"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Not needed"

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The dispatcher's scan: pending rows whose time has come.
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending"),
                name="prep_reminder_due_idx",
            ),
            models.Index(fields=["status", "claimed_at"], name="prep_reminder_claimed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient} at {self.due_at:%Y-%m-%d %H:%M}"


class EmailPreference(models.Model):
    """What a person wants to receive. Every email names its category and carries a
    one-click link to turn that category off."""

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
