from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment
from core.fields import EncryptedJSONField, EncryptedTextField


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
    # What the draft was built from (prep/freshness.py): the review page trusts the
    # stored snapshot only while the journal still gives this value.
    inputs = models.CharField(max_length=64, blank=True)
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


class SummaryLink(models.Model):
    """A link to one shared version for someone who is not on the app (prep/links.py).

    Only a hash of the token finds the link; the token itself is kept encrypted so
    the patient can copy the link again. A code, if the patient set one, is stored
    hashed and the reader types it; after MAX_CODE_ATTEMPTS wrong ones the link is
    locked for good."""

    summary = models.ForeignKey(PreSessionSummary, on_delete=models.CASCADE, related_name="links")
    # sha256 of the token, hex: the public page looks the link up by it.
    token_hash = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField()
    expires_at = models.DateTimeField()
    code_hash = models.CharField(max_length=128, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Link to summary {self.summary_id}"


class SummaryLinkOpening(models.Model):
    """One time the summary was shown through a link (the page or its PDF)."""

    link = models.ForeignKey(SummaryLink, on_delete=models.CASCADE, related_name="openings")
    at = models.DateTimeField(default=timezone.now)
    as_pdf = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return "Opening of a summary link"


class SummaryLinkEmail(models.Model):
    """The patient asked the app to email a link to this address (the outbox row's
    target, prep/emails.py)."""

    link = models.ForeignKey(SummaryLink, on_delete=models.CASCADE, related_name="emails")
    address = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return "Summary link sent by email"
