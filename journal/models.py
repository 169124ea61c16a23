from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.fields import EncryptedTextField, KeyedHashField

SEVERITY_CHOICES = [(0, "None"), (1, "Mild"), (2, "Moderate"), (3, "Severe")]


def zero_to_ten():
    return [MinValueValidator(0), MaxValueValidator(10)]


class SymptomQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)

    def named(self, name: str):
        """Symptoms with this name, ignoring case and spacing (the name itself is
        encrypted, so the match is on its keyed hash)."""
        return self.filter(name_key__in=Symptom._meta.get_field("name_key").lookup_values(name))


def by_name(symptoms) -> list:
    """By name, in Python: the database cannot order by an encrypted name. Python
    compares code points, as the database's C collation did before the name was
    encrypted, so lists keep their order."""
    return sorted(symptoms, key=lambda symptom: symptom.name)


class Symptom(models.Model):
    """One of a patient's own symptoms. Retiring hides it from the daily form but
    keeps every past rating."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="symptoms"
    )
    # The patient's own words, encrypted; name_key (a keyed hash of it, case and
    # spacing ignored) keeps two active symptoms from sharing a name.
    name = EncryptedTextField(max_length=60)
    name_key = KeyedHashField(source="name")
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = SymptomQuerySet.as_manager()

    class Meta:
        # Not by name: it is ciphertext in the database (see by_name).
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "name_key"],
                condition=Q(retired_at__isnull=True),
                name="journal_symptom_unique_active_name",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None and "name" in update_fields:
            update_fields = {*update_fields, "name_key"}
        super().save(*args, update_fields=update_fields, **kwargs)


class DailyEntry(models.Model):
    """How one day went, on the patient's own calendar."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_entries"
    )
    # The patient's local date, not UTC: "today" is where they are.
    day = models.DateField()
    # Null means the patient left the scale unanswered; nothing is filled in for them.
    mood = models.PositiveSmallIntegerField(null=True, blank=True, validators=zero_to_ten())
    anxiety = models.PositiveSmallIntegerField(null=True, blank=True, validators=zero_to_ten())
    energy = models.PositiveSmallIntegerField(null=True, blank=True, validators=zero_to_ten())
    sleep_hours = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
    )
    thoughts = EncryptedTextField(blank=True)
    discuss_next_session = models.BooleanField(default=False)
    homework_done = models.BooleanField(null=True, blank=True)
    self_harm_thoughts = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the person pressed Save for the answers stored now: for an entry queued on a
    # phone while offline, that moment, not its arrival. Two devices editing one day
    # keep the later edit by this (journal/offline.py). Null on entries saved before.
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name_plural = "daily entries"
        constraints = [
            # One entry per patient per local day; the daily form edits it in place.
            models.UniqueConstraint(fields=["patient", "day"], name="journal_one_entry_per_day"),
            models.CheckConstraint(
                condition=Q(mood__lte=10) & Q(anxiety__lte=10) & Q(energy__lte=10),
                name="journal_scales_zero_to_ten",
            ),
            models.CheckConstraint(
                condition=Q(sleep_hours__isnull=True)
                | (Q(sleep_hours__gte=0) & Q(sleep_hours__lte=24)),
                name="journal_sleep_within_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} on {self.day}"


class SymptomRating(models.Model):
    entry = models.ForeignKey(DailyEntry, on_delete=models.CASCADE, related_name="ratings")
    symptom = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="ratings")
    severity = models.PositiveSmallIntegerField(choices=SEVERITY_CHOICES)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "symptom"], name="journal_one_rating_each"),
            models.CheckConstraint(condition=Q(severity__lte=3), name="journal_severity_0_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.symptom}: {self.get_severity_display()}"


class MeasureResponse(models.Model):
    """A completed PHQ-9 or GAD-7 (scoring rules in journal/measures.py)."""

    class Kind(models.TextChoices):
        PHQ9 = "phq9", "PHQ-9"
        GAD7 = "gad7", "GAD-7"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_responses"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    answers = models.JSONField()
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=24)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [
            # Due dates and trends read a patient's latest responses of one kind.
            models.Index(fields=["patient", "kind", "-taken_at"], name="journal_measure_latest_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="phq9") & Q(total__lte=27)) | (Q(kind="gad7") & Q(total__lte=21)),
                name="journal_measure_total_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.total}"


class MeasurePlan(models.Model):
    """How often a patient is asked to complete the questionnaires; their therapist
    may change it."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="measure_plan"
    )
    interval_days = models.PositiveSmallIntegerField(
        default=14, validators=[MinValueValidator(7), MaxValueValidator(90)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Every {self.interval_days} days"


class ParkedTopic(models.Model):
    """Something the patient is not ready to talk about yet. Only the title exists
    here, and it leaves the patient only if they allow it."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="parked_topics"
    )
    title = EncryptedTextField()
    show_title_in_summary = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return "Parked topic"


class SafetyAlert(models.Model):
    """A patient reported thoughts of self-harm. Their therapists see a flag and get
    an email asking them to check in; the alert is also the email's outbox row."""

    class Source(models.TextChoices):
        DAILY_LOG = "daily_log", "Daily log"
        PHQ9 = "phq9", "PHQ-9 item 9"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_alerts"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    entry = models.OneToOneField(
        DailyEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_alert"
    )
    measure = models.OneToOneField(
        MeasureResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="safety_alert",
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Safety alert for {self.patient}"


class SafetyContact(models.Model):
    """What a therapist did after a safety alert, in their own words, and when. One
    form submission is one row (core/submissions.py); every therapist caring for the
    patient sees them on the alert, so nobody wonders whether someone reached out."""

    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE, related_name="contacts")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contacted_at = models.DateTimeField()
    note = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contacted_at", "pk"]

    def __str__(self) -> str:
        return "Safety contact"
