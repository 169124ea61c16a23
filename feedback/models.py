from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment
from core.fields import EncryptedTextField

from .questions import RATINGS

RATING_CHECK = Q(bond__lte=10) & Q(goals__lte=10) & Q(approach__lte=10) & Q(overall__lte=10)


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
    bond = models.PositiveSmallIntegerField()
    goals = models.PositiveSmallIntegerField()
    approach = models.PositiveSmallIntegerField()
    overall = models.PositiveSmallIntegerField()
    comment = EncryptedTextField(blank=True)
    discuss_next_time = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.SHARED
    )
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
        ]
        indexes = [models.Index(fields=["therapist", "session_at"], name="feedback_therapist_idx")]

    def __str__(self) -> str:
        return f"Feedback on session {self.appointment_id}"

    @property
    def mean(self) -> float:
        return sum(getattr(self, name) for name in RATINGS) / len(RATINGS)

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
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    reply = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Alert on {self.feedback}"


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

    def __str__(self) -> str:
        return f"Escalation of {self.feedback}"
