from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.access import cared_for_by
from core.fields import EncryptedTextField


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
    in each viewer's own time zone.

    A patient whose therapist is not on the app keeps their own sessions: no
    `therapist`, only the name they typed (`therapist_name`)."""

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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="appointments_given",
    )
    # The patient's own session: who it is with, as they typed it.
    therapist_name = EncryptedTextField(max_length=120, blank=True)
    series = models.ForeignKey(
        "SessionSeries", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # Which occurrence of the series this is (0, 1, 2, …): a moved session keeps its
    # number, so the series never books its slot again.
    occurrence = models.PositiveIntegerField(null=True, blank=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IN_PERSON)
    # The room or address for in-person sessions, the link for video; encrypted (a
    # home address or a private video room says where the patient is).
    location = EncryptedTextField(max_length=300, blank=True)
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
            models.Index(fields=["therapist", "starts_at"], name="appointments_therapist_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointments_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointments_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence"],
                condition=Q(series__isnull=False),
                name="appointments_one_per_occurrence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.with_whom} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_own(self) -> bool:
        """The patient's own session: their therapist is not on the app."""
        return self.therapist_id is None

    @property
    def with_whom(self) -> str:
        """The therapist's name as the patient knows it."""
        return self.therapist.display_name if self.therapist_id else self.therapist_name

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
    def join_url(self) -> str:
        """A video session's link, to be shown as a link: only a web address (the
        booking form checks it is one; older rows may hold anything)."""
        if self.kind == self.Kind.VIDEO and self.location.startswith(("https://", "http://")):
            return self.location
        return ""

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SessionSeries(models.Model):
    """A patient's own repeating session with a therapist who is not on the app:
    weekly or fortnightly at the same local time (appointments/series.py keeps the
    next weeks' sessions in place)."""

    class Every(models.IntegerChoices):
        WEEK = 1, "Every week"
        FORTNIGHT = 2, "Every two weeks"

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_series"
    )
    therapist_name = EncryptedTextField(max_length=120)
    kind = models.CharField(
        max_length=16, choices=Appointment.Kind.choices, default=Appointment.Kind.IN_PERSON
    )
    location = EncryptedTextField(max_length=300, blank=True)
    every_weeks = models.PositiveSmallIntegerField(choices=Every.choices)
    # The first session's start; later ones keep its wall-clock time in `timezone`,
    # so a clock change does not move them.
    first_starts_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    # Set when the patient stops the series; sessions after it are cancelled.
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_starts_at"]
        verbose_name_plural = "session series"

    def __str__(self) -> str:
        return f"Series {self.pk} of patient {self.patient_id}"


class CalendarFeed(models.Model):
    """A person's private calendar feed of their sessions (appointments/feed.py).
    Only a hash of the secret in its address is kept: the address is shown once,
    when made, and a copy of the database cannot open anyone's feed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the person stops the feed or makes a new link; the address then
    # answers 404 at once.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # feed.make_feed revokes the old link before making a new one.
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(revoked_at__isnull=True),
                name="appointments_one_live_calendar_feed",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk} of user {self.owner_id}"
