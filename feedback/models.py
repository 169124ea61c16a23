from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment
from core.fields import EncryptedTextField

from .questions import RATINGS

# An answered rating is 0 to 10; a null one (not answered) passes, as SQL checks do.
RATING_CHECK = Q(bond__lte=10) & Q(goals__lte=10) & Q(approach__lte=10) & Q(overall__lte=10)
# Feedback with nothing answered says nothing, so it is never stored.
SOMETHING_ANSWERED = (
    Q(bond__isnull=False)
    | Q(goals__isnull=False)
    | Q(approach__isnull=False)
    | Q(overall__isnull=False)
)
NOTHING_ANSWERED = (
    "Answer at least one of the four questions before sending. "
    "You can leave any of them unanswered."
)


class SessionFeedback(models.Model):
    """How working together felt after one session, in the patient's own terms."""

    class Visibility(models.TextChoices):
        SHARED = "shared", "Share with my therapist"
        SCORES_ONLY = "scores", "Share only the scores"
        PRIVATE = "private", "Keep it private"

    # Indexed by the foreign key; "feedback due" and the form look sessions up by it.
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="feedback")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_feedback"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_received"
    )
    session_at = models.DateTimeField()
    # Each rating is null until the patient answers it; a skipped question stays skipped.
    bond = models.PositiveSmallIntegerField(null=True, blank=True)
    goals = models.PositiveSmallIntegerField(null=True, blank=True)
    approach = models.PositiveSmallIntegerField(null=True, blank=True)
    overall = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = EncryptedTextField(blank=True)
    discuss_next_time = models.BooleanField(default=False)
    # No default: the patient chooses who sees it, every time.
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session_at"]
        constraints = [
            # One feedback per patient per session; the form edits it for 48 hours.
            models.UniqueConstraint(
                fields=["patient", "appointment"], name="feedback_one_per_session"
            ),
            models.CheckConstraint(condition=RATING_CHECK, name="feedback_ratings_0_to_10"),
            models.CheckConstraint(
                condition=SOMETHING_ANSWERED,
                name="feedback_something_answered",
                violation_error_message=NOTHING_ANSWERED,
            ),
            models.CheckConstraint(
                # The Visibility values ("" is what a forgotten choice would be).
                condition=Q(visibility__in=["shared", "scores", "private"]),
                name="feedback_visibility_chosen",
            ),
        ]
        indexes = [models.Index(fields=["therapist", "session_at"], name="feedback_therapist_idx")]

    def __str__(self) -> str:
        return f"Feedback on session {self.appointment_id}"

    @property
    def answers(self) -> dict[str, int]:
        """The ratings the patient gave, by name; unanswered ones are left out."""
        return {name: getattr(self, name) for name in RATINGS if getattr(self, name) is not None}

    @property
    def answered_count(self) -> int:
        return len(self.answers)

    @property
    def mean(self) -> float | None:
        """The mean of the answered ratings; None when nothing is answered."""
        values = list(self.answers.values())
        return sum(values) / len(values) if values else None

    @property
    def answered_text(self) -> str:
        """How many of the four the patient answered, e.g. "2 of 4 answered"."""
        return f"{self.answered_count} of {len(RATINGS)} answered"

    @property
    def editable_until(self):
        return self.created_at + timedelta(hours=settings.FEEDBACK_EDITABLE_HOURS)

    @property
    def is_editable(self) -> bool:
        return timezone.now() < self.editable_until

    @property
    def therapist_sees_scores(self) -> bool:
        return self.visibility != self.Visibility.PRIVATE

    @property
    def therapist_sees_comment(self) -> bool:
        return self.visibility == self.Visibility.SHARED


class AllianceAlert(models.Model):
    """Feedback that suggests the relationship needs attention: a chance to repair.
    The therapist acknowledges it and may reply; the patient sees both."""

    feedback = models.OneToOneField(SessionFeedback, on_delete=models.CASCADE, related_name="alert")
    # The feedback's therapist (which never changes), copied so the practice page
    # counts each therapist's alerts from one index instead of joining the feedback.
    # Filled in from the feedback on save.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reply = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The practice page's counts per therapist read this index alone
            # (feedback/practice.py); it also serves the foreign key.
            models.Index(
                fields=["therapist", "created_at", "acknowledged_at"],
                name="feedback_alert_therapist_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Alert on {self.feedback}"

    def save(self, *args, **kwargs):
        if self.therapist_id is None:
            self.therapist_id = self.feedback.therapist_id
        super().save(*args, **kwargs)


class Escalation(models.Model):
    """Feedback the patient sent to the practice manager because the relationship
    feels beyond repair. The therapist is told of it only if the patient allows."""

    feedback = models.OneToOneField(
        SessionFeedback, on_delete=models.CASCADE, related_name="escalation"
    )
    message = EncryptedTextField(blank=True)
    therapist_may_know = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The practice page lists them in this order, a page at a time
            # (feedback/practice.py ESCALATION_ORDER: PostgreSQL sorts nulls, the
            # open ones, first when descending).
            models.Index(
                fields=["-handled_at", "-created_at"], name="feedback_escalation_order_idx"
            )
        ]

    def __str__(self) -> str:
        return f"Escalation of {self.feedback}"
