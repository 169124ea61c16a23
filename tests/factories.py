from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import CareLink, Invitation, User
from appointments.models import Appointment
from journal.models import DailyEntry, MeasureResponse, Symptom, SymptomRating
from prep.models import AgendaItem, Goal, Homework

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        therapist = factory.Trait(role=User.Role.THERAPIST)
        manager = factory.Trait(role=User.Role.MANAGER)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Pat"
    last_name = "Person"
    role = User.Role.PATIENT
    timezone = "Europe/London"

    @factory.post_generation
    def password(user, create, value, **kwargs):
        user.set_password(value or PASSWORD)
        if create:
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class CareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareLink

    therapist = factory.SubFactory(UserFactory, therapist=True)
    patient = factory.SubFactory(UserFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    therapist = factory.SubFactory(UserFactory, therapist=True)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    first_name = "Robin"


class SymptomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Symptom

    patient = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Symptom {n}")


class DailyEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyEntry

    patient = factory.SubFactory(UserFactory)
    day = factory.LazyAttribute(lambda entry: entry.patient.today())
    mood = 6
    anxiety = 4
    energy = 5
    sleep_hours = Decimal("7.0")


class SymptomRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SymptomRating

    entry = factory.SubFactory(DailyEntryFactory)
    symptom = factory.SubFactory(SymptomFactory, patient=factory.SelfAttribute("..entry.patient"))
    severity = 1


class MeasureResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasureResponse

    patient = factory.SubFactory(UserFactory)
    kind = MeasureResponse.Kind.PHQ9
    answers = factory.LazyAttribute(lambda r: [1] * (9 if r.kind == "phq9" else 7))
    total = factory.LazyAttribute(lambda r: sum(r.answers))
    band = "mild"


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A 50-minute session, by default tomorrow on the hour; pass a timezone-aware
    `starts_at` for any other time."""

    class Meta:
        model = Appointment

    therapist = factory.SubFactory(UserFactory, therapist=True)
    patient = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    )
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(minutes=50))


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    patient = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    why_it_matters = "So that weekends feel like mine again."


class HomeworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Homework

    patient = factory.SubFactory(UserFactory)
    description = factory.Sequence(lambda n: f"Homework {n}")


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    patient = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Something to talk about {n}")


def _yesterday_on_the_hour():
    return (timezone.now() - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


class AttendedAppointmentFactory(AppointmentFactory):
    """A session that took place: by default yesterday on the hour, marked attended."""

    starts_at = factory.LazyFunction(_yesterday_on_the_hour)
    outcome = Appointment.Outcome.ATTENDED
    outcome_recorded_at = factory.LazyAttribute(lambda a: a.ends_at)


class SessionFeedbackFactory(factory.django.DjangoModelFactory):
    """Relationship feedback on an attended session, saved as it is: no alert rules
    run (call feedback.alerts.evaluate for those). Without `appointment`, an attended
    session of this patient with this therapist is created at `session_at`; use
    `for_session(appointment, ...)` to give feedback on an existing one."""

    class Meta:
        model = "feedback.SessionFeedback"

    patient = factory.SubFactory(UserFactory)
    therapist = factory.SubFactory(UserFactory, therapist=True)
    session_at = factory.LazyFunction(_yesterday_on_the_hour)
    appointment = factory.LazyAttribute(
        lambda f: AttendedAppointmentFactory(
            patient=f.patient, therapist=f.therapist, starts_at=f.session_at
        )
    )
    bond = 9
    goals = 9
    approach = 9
    overall = 9
    visibility = "shared"

    @classmethod
    def for_session(cls, appointment, **kwargs):
        return cls(
            appointment=appointment,
            patient=appointment.patient,
            therapist=appointment.therapist,
            session_at=appointment.starts_at,
            **kwargs,
        )


class AllianceAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.AllianceAlert"

    feedback = factory.SubFactory(SessionFeedbackFactory, bond=3)
    reasons = factory.LazyFunction(lambda: ["Feeling heard and respected rated 3"])


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.Escalation"

    feedback = factory.SubFactory(SessionFeedbackFactory, bond=1, goals=2)
    message = "I would like to see someone else at the practice."


def book_session(therapist, patient, starts_at, location="Room 2") -> Appointment:
    """A 50-minute session booked the way the booking form books one, so its emails
    are planned."""
    from appointments import booking

    appointment = Appointment(
        therapist=therapist,
        patient=patient,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        location=location,
    )
    return booking.save_booking(appointment)


def current_totp_code(secret: str) -> str:
    """The authenticator app's code now. Near the end of a 30-second window the code
    could change before the server checks it, so wait for the next window first."""
    import time

    from allauth.mfa.totp.internal.auth import hotp_value

    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.2)
    return f"{hotp_value(secret, int(time.time()) // 30):06d}"
