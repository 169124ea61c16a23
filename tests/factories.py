from decimal import Decimal

import factory
from allauth.account.models import EmailAddress

from accounts.models import CareLink, Invitation, User
from journal.models import DailyEntry, MeasureResponse, Symptom, SymptomRating

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
