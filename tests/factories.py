import factory
from allauth.account.models import EmailAddress

from accounts.models import CareLink, Invitation, User

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
