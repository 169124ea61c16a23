import pytest
from django.core.management import CommandError, call_command

from accounts.models import CareLink, User
from prep.management.commands.seed_demo import DEMO_PASSWORD


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_people_and_prints_their_logins(db, debug_on):
    output = run()
    assert "therapist@demo.example" in output
    assert DEMO_PASSWORD in output
    dana = User.objects.get(email="therapist@demo.example")
    assert dana.is_therapist
    assert dana.check_password(DEMO_PASSWORD)
    assert set(
        CareLink.objects.filter(therapist=dana).values_list("patient__email", flat=True)
    ) == {"sam@demo.example", "alex@demo.example"}
    assert not CareLink.objects.filter(therapist__email="therapist2@demo.example").exists()


def test_demo_patients_get_about_sixty_days_of_varied_history(db, debug_on):
    from journal.models import DailyEntry, MeasureResponse

    run()
    sam = User.objects.get(email="sam@demo.example")
    entries = DailyEntry.objects.filter(patient=sam)
    assert 45 <= entries.count() <= 61  # some days missed
    moods = set(entries.values_list("mood", flat=True))
    assert min(moods) <= 3 and max(moods) >= 7  # a hard week and better days
    assert entries.exclude(thoughts="").exists()
    kinds = MeasureResponse.objects.filter(patient=sam).values_list("kind", flat=True)
    assert sorted(set(kinds)) == ["gad7", "phq9"]
    assert len(kinds) == 10  # each every two weeks


def test_demo_sessions_goals_and_summaries(db, debug_on):
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import Appointment
    from prep.models import Goal, Homework, PreSessionSummary

    run()
    for email, shared in (("sam@demo.example", False), ("alex@demo.example", True)):
        patient = User.objects.get(email=email)
        past = Appointment.objects.filter(patient=patient, starts_at__lt=timezone.now())
        assert past.attended().count() == 4
        upcoming = Appointment.objects.get(patient=patient, starts_at__gt=timezone.now())
        assert timedelta(days=1) < upcoming.starts_at - timezone.now() < timedelta(days=3)
        versions = PreSessionSummary.objects.filter(appointment=upcoming)
        assert versions.filter(version=0).exists()
        assert versions.filter(version__gt=0).exists() is shared
        assert Goal.objects.filter(patient=patient).exists()
        assert Homework.objects.filter(patient=patient).exists()


def test_demo_feedback_has_one_drop_that_raised_an_alert(db, debug_on):
    from feedback.models import AllianceAlert, SessionFeedback

    run()
    for email in ("sam@demo.example", "alex@demo.example"):
        assert SessionFeedback.objects.filter(patient__email=email).count() == 4
    [alert] = AllianceAlert.objects.all()
    assert alert.feedback.patient.email == "sam@demo.example"
    assert any(reason.startswith("Down") for reason in alert.reasons)


def test_it_is_idempotent(db, debug_on):
    run()
    from journal.models import DailyEntry

    counts = User.objects.count(), CareLink.objects.count(), DailyEntry.objects.count()
    run()
    assert (User.objects.count(), CareLink.objects.count(), DailyEntry.objects.count()) == counts


def test_if_empty_leaves_a_used_database_alone(db, debug_on, patient):
    output = run("--if-empty")
    assert "left as it is" in output
    assert not User.objects.filter(email__endswith="@demo.example").exists()


def test_it_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        run()
    assert not User.objects.exists()


def test_demo_people_can_sign_in(client, db, debug_on):
    run()
    response = client.post(
        "/accounts/login/", {"login": "sam@demo.example", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_jo_keeps_weekly_own_sessions_and_sent_a_copy_by_link(db, debug_on):
    from datetime import timedelta

    from django.utils import timezone

    from appointments.models import Appointment
    from journal.models import DailyEntry, SafetyAlert
    from prep.models import PreSessionSummary, SummaryLink

    output = run()
    assert "robin@demo.example" in output and "Robin Whitfield" in output
    jo = User.objects.get(email="robin@demo.example")
    assert jo.is_patient and jo.check_password(DEMO_PASSWORD)
    assert not CareLink.objects.filter(patient=jo).exists()
    assert 20 <= DailyEntry.objects.filter(patient=jo).count() <= 31
    assert not SafetyAlert.objects.filter(patient=jo).exists()
    sessions = Appointment.objects.filter(patient=jo)
    assert not sessions.exclude(therapist=None).exists()
    assert {s.series.get_every_weeks_display() for s in sessions} == {"Every week"}
    [past] = sessions.filter(starts_at__lt=timezone.now())
    assert past.outcome == Appointment.Outcome.ATTENDED
    upcoming = sessions.filter(starts_at__gt=timezone.now()).order_by("starts_at").first()
    assert timedelta(days=1) < upcoming.starts_at - timezone.now() < timedelta(days=3)
    [frozen] = PreSessionSummary.objects.filter(appointment=upcoming, version__gt=0)
    [link] = SummaryLink.objects.filter(summary=frozen)
    assert not link.code_hash and link.revoked_at is None
    assert link.openings.count() == 1
    run()  # again: nothing doubles
    assert SummaryLink.objects.count() == 1 and sessions.filter(occurrence=0).count() == 1
