"""`manage.py seed_scale` at a tiny scale: the counts the plan promises, real
ciphertext in encrypted columns, reuse on a second run, and no seeding into a
database that holds anyone else. (`make bench` itself never runs under make test.)"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import AccessRecord, User
from appointments.models import Appointment
from bench import seed
from journal.models import DailyEntry, MeasureResponse, SymptomRating
from prep.models import PreSessionSummary
from tests.conftest import require_service
from tests.factories import UserFactory

TINY = ["--patients=3", "--per-therapist=2", "--days=30", "--small-patients=2", "--small-days=7"]


@pytest.fixture
def postgres(db):
    require_service(connection.vendor == "postgresql", "seed_scale needs PostgreSQL")


def run(*args) -> str:
    out = StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def test_it_seeds_the_scale_it_is_asked_for(postgres):
    run(*TINY)

    # Two big therapists (2 + 1 patients), the small one (2), the manager.
    assert User.objects.filter(role="therapist").count() == 3
    assert User.objects.filter(role="manager").count() == 1
    year = User.objects.filter(email__startswith="patient-0")
    week = User.objects.filter(email__startswith="patient-small")
    assert (year.count(), week.count()) == (3, 2)
    assert DailyEntry.objects.filter(patient__in=year).count() == 3 * 30
    assert DailyEntry.objects.filter(patient__in=week).count() == 2 * 7
    # Six symptoms a day, a few left unrated.
    ratings = SymptomRating.objects.filter(entry__patient__in=year).count()
    assert 0.9 * 3 * 30 * 6 <= ratings <= 3 * 30 * 6
    # PHQ-9 and GAD-7 every 14 days: days 0, 14 and 28.
    assert MeasureResponse.objects.filter(patient__in=year).count() == 3 * 3 * 2
    assert (
        Appointment.objects.filter(patient__in=year, starts_at__gt=seed.timezone.now()).count()
        == 3 * 5
    )


def test_the_measured_patients_summaries_are_built_shared_and_opened(postgres):
    run(*TINY)

    first = User.objects.get(email=seed.patient_email(1, 1))
    shared = PreSessionSummary.objects.filter(appointment__patient=first, version__gt=0)
    assert shared.count() == seed.SHARED_VERSIONS
    assert PreSessionSummary.objects.filter(appointment__patient=first, version=0).count() == 1
    opened = AccessRecord.objects.filter(patient=first, kind="summary").count()
    assert opened == seed.OPENINGS


def test_what_people_write_is_stored_as_ciphertext(postgres):
    run(*TINY)

    entry = DailyEntry.objects.exclude(thoughts="").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT thoughts FROM journal_dailyentry WHERE id = %s", [entry.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAA")  # a Fernet token
    assert entry.thoughts in seed.THOUGHTS


def test_a_second_run_reuses_what_is_there(postgres):
    run(*TINY)
    entries = DailyEntry.objects.count()

    assert "reused" in run(*TINY)
    assert DailyEntry.objects.count() == entries


def test_another_scale_replaces_the_data(postgres):
    run(*TINY)

    run(*[arg for arg in TINY if not arg.startswith("--days")], "--days=20")

    assert DailyEntry.objects.filter(patient__email=seed.patient_email(1, 1)).count() == 20


def test_it_refuses_a_database_with_other_people(postgres):
    UserFactory()

    with pytest.raises(CommandError, match="did not create"):
        run(*TINY)
