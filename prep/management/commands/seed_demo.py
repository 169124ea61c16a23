"""Demo people and their history for trying the product locally. Refused unless
DEBUG is on, because it creates accounts with a published password."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import CareLink, User
from journal.demo import seed_history
from prep.demo import seed_sessions, seed_solo

DEMO_PASSWORD = "between-sessions-demo"  # noqa: S105 (printed on purpose; DEBUG only)

DEMO_PEOPLE = [
    ("therapist@demo.example", User.Role.THERAPIST, "Dana", "Reyes", "Europe/London"),
    ("therapist2@demo.example", User.Role.THERAPIST, "Morgan", "Lee", "Europe/London"),
    ("sam@demo.example", User.Role.PATIENT, "Sam", "Patel", "Europe/London"),
    ("alex@demo.example", User.Role.PATIENT, "Alex", "Morgan", "America/New_York"),
    ("manager@demo.example", User.Role.MANAGER, "Jo", "Carter", "Europe/London"),
    # On their own: their therapist is not on the app (no care link).
    ("robin@demo.example", User.Role.PATIENT, "Robin", "Whitfield", "Europe/London"),
]
SOLO_DEMO_PATIENT = "robin@demo.example"

# (therapist, patient) pairs: both demo patients see Dana; Morgan has no patients yet.
DEMO_CARE = [
    ("therapist@demo.example", "sam@demo.example"),
    ("therapist@demo.example", "alex@demo.example"),
]


class Command(BaseCommand):
    help = "Create demo people with about 60 days of history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users.",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords; it only runs with DEBUG on.")
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has users; demo data left as it is.")
            if User.objects.filter(email__in=[person[0] for person in DEMO_PEOPLE]).exists():
                self.print_logins()
            return
        with transaction.atomic():
            people = {details[0]: self.ensure_person(*details) for details in DEMO_PEOPLE}
            for therapist_email, patient_email in DEMO_CARE:
                CareLink.objects.get_or_create(
                    therapist=people[therapist_email], patient=people[patient_email]
                )
            for seed, person in enumerate(people.values()):
                if person.is_patient and person.email != SOLO_DEMO_PATIENT:
                    seed_history(person, seed)
            # A month of logs; an even seed: no answer in the story would alert anyone.
            seed_history(people[SOLO_DEMO_PATIENT], 6, days=30)
            # Alex shows Dana their week and gave a number (a fictional one); Sam has
            # answered neither, so Dana's dashboard shows both cases.
            alex = people["alex@demo.example"]
            if alex.shares_overview is None:
                alex.shares_overview, alex.phone = True, "+1 212 555 0100"
                alex.save(update_fields=["shares_overview", "phone"])
            # Sam's summary for the next session is a draft to review; Alex's is shared.
            dana = people["therapist@demo.example"]
            seed_sessions(dana, people["sam@demo.example"], share=False)
            seed_sessions(dana, people["alex@demo.example"], share=True)
            seed_solo(people[SOLO_DEMO_PATIENT])
        self.print_logins()

    def ensure_person(self, email, role, first_name, last_name, zone) -> User:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "timezone": zone,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def print_logins(self):
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        for email, role, first_name, last_name, _zone in DEMO_PEOPLE:
            label = User.Role(role).label
            alone = (
                " (on their own: therapist not on the app)" if email == SOLO_DEMO_PATIENT else ""
            )
            self.stdout.write(f"  {label:<17} {email:<26} {first_name} {last_name}{alone}")
