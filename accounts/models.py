import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.fields import EncryptedTextField

# An erased account's address: erased-<id>@invalid. ".invalid" is reserved and
# never delivered (RFC 2606), and no sign-up form accepts a domain without a dot.
ERASED_EMAIL_DOMAIN = "invalid"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone from the list.", code="invalid_timezone")


def default_timezone() -> str:
    return settings.DEFAULT_USER_TIMEZONE


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        return (email or "").strip().lower()

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        # Never a patient: the admin sees everyone's rows, so the staff rules
        # (two-factor sign-in) must cover it.
        fields.setdefault("role", User.Role.MANAGER)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractUser):
    """A person who signs in with their email address.

    The role decides what they see: patients keep a private journal, therapists see
    what their own patients share, practice managers see escalations and aggregates.
    """

    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        THERAPIST = "therapist", "Therapist"
        MANAGER = "manager", "Practice manager"

    username = None
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    timezone = models.CharField(
        max_length=64, default=default_timezone, validators=[validate_timezone]
    )
    # Local time of day for the daily log nudge, in the user's own time zone.
    reminder_time = models.TimeField(default=time(20, 0))
    # A patient's own number, given so their therapist can reach them after a safety
    # alert; encrypted, and null until they give one (core/phone.py validates it).
    phone = EncryptedTextField("phone number", null=True, blank=True)
    # Whether a patient lets their therapists see their week at a glance (days
    # logged, mood trend, latest questionnaire scores: prep/caseload.py). Null until
    # they answer, and only True shares anything.
    shares_overview = models.BooleanField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            # Sign-in looks addresses up case-insensitively; two accounts must never
            # differ only in letter case.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        self.email = User.objects.normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self):
        """Today's date where this person is."""
        return timezone.localdate(timezone=self.zone)

    @property
    def display_name(self) -> str:
        if self.is_erased:
            return "Former patient"
        return self.get_full_name() or self.email

    @property
    def is_erased(self) -> bool:
        """The patient deleted their account (prep/privacy.py): this nameless,
        inactive row is all that is left, so past sessions keep their place."""
        return not self.is_active and self.email.endswith(f"@{ERASED_EMAIL_DOMAIN}")

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_clinical_staff(self) -> bool:
        return self.role in (self.Role.THERAPIST, self.Role.MANAGER)


class CareLinkQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class CareLink(models.Model):
    """A therapist caring for a patient: the only path by which a therapist reaches
    anything of a patient's, and only what the patient chose to share."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_links"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist_links"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A patient who kept their own sessions before this link says once whether they
    # come into it (prep/linking.py): True brought them, False kept them. Both null
    # until they answer; nothing moves without an answer.
    history_decided_at = models.DateTimeField(null=True, blank=True)
    history_brought = models.BooleanField(null=True, blank=True)
    # How many of their own sessions moved into this care when they chose "bring".
    history_sessions_moved = models.PositiveIntegerField(null=True, blank=True)

    objects = CareLinkQuerySet.as_manager()

    class Meta:
        constraints = [
            # Accepting a second invitation from the same therapist reuses the link.
            models.UniqueConstraint(
                fields=["therapist", "patient"], name="accounts_one_link_per_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(therapist=models.F("patient")),
                name="accounts_link_not_to_self",
            ),
            # An answer has its moment; the "still to answer" query relies on it.
            models.CheckConstraint(
                condition=models.Q(history_decided_at__isnull=True, history_brought__isnull=True)
                | models.Q(history_decided_at__isnull=False, history_brought__isnull=False),
                name="accounts_link_history_answer_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapist} → {self.patient}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Invitation(models.Model):
    """An invitation sent by email as a signed link: a therapist's to a patient, or a
    practice manager's to a new therapist (`role` says which).

    The link carries only the invitation's id, signed and time-stamped
    (accounts/invitations.py); accepting stamps `accepted_at` exactly once.
    """

    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        THERAPIST = "therapist", "Therapist"

    # Who sent it: the therapist for a patient invitation, the practice manager for
    # a therapist invitation.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    # The account accepting it creates: a patient in the sender's care, or a
    # therapist with no patients yet.
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    email = models.EmailField()
    # Typed by the therapist about someone who has not agreed to anything yet.
    first_name = EncryptedTextField("patient's first name", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        # The therapist's patient list shows pending invitations.
        indexes = [
            models.Index(fields=["therapist", "accepted_at"], name="accounts_invitation_open_idx")
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.email}"

    @property
    def expires_at(self):
        return self.sent_at + timedelta(seconds=settings.INVITATION_MAX_AGE)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class AccessRecordQuerySet(models.QuerySet):
    """The access log is written once and never changed: no bulk update or delete
    through the app. Erasure is the one exception (`forget_patient`)."""

    def update(self, **kwargs):
        raise PermissionError("The access log is append-only.")

    def delete(self):
        raise PermissionError("The access log is append-only.")

    def forget_patient(self, patient) -> int:
        """The patient deleted their account: the rows about them (and any they
        made, such as downloading their data) keep only "someone's data was read"
        and when. No link to the person, no object id."""
        update = models.QuerySet.update
        about = self.filter(patient=patient)
        count = update(about, patient=None, patient_erased=True, object_id="")
        update(self.filter(viewer=patient), viewer=None, object_id="")
        return count


class AccessRecord(models.Model):
    """Someone opened a patient's data: who, whose, what kind and when. Never the
    data itself. Recorded by accounts.audit.record; the patient sees their own."""

    class Kind(models.TextChoices):
        SUMMARY = "summary", "shared summary"
        PATIENT_PAGE = "patient_page", "patient page"
        PLAN = "plan", "plan"
        FEEDBACK = "feedback", "feedback"
        ALLIANCE_ALERT = "alliance_alert", "alliance alert"
        MEASURE_PLAN = "measure_plan", "questionnaire schedule"
        OVERVIEW = "overview", "week at a glance"
        SAFETY_ALERT = "safety_alert", "safety alert"
        ESCALATION = "escalation", "escalation"
        ADMIN = "admin", "admin record"
        EXPORT = "export", "data export"
        ERASURE = "erasure", "account erasure"

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accesses_made",
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accesses_recorded",
    )
    # The patient's account was erased: the row no longer says whose data it was.
    patient_erased = models.BooleanField(default=False)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The id of what was opened, where there is one (for the admin, "app.model:pk").
    object_id = models.CharField(max_length=120, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="accounts_access_patient_idx"),
            models.Index(fields=["viewer", "-at"], name="accounts_access_viewer_idx"),
            models.Index(fields=["-at"], name="accounts_access_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} opened {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The access log is append-only.")
