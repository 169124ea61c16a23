"""Every page that lists or aggregates data costs a fixed number of queries: the same
with a week of history as with a year of it, and at most BUDGET. (Pages with a
budget test of their own beside their other tests are not repeated here.)

GIVEN a patient, their therapist and the practice manager with a week of everything
the pages show WHEN each page is opened THEN it counts its queries; GIVEN a year
more of it THEN the same page costs no more.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from accounts.models import CareLink
from feedback.models import AllianceAlert, Escalation, SessionFeedback
from journal.models import (
    DailyEntry,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    Symptom,
    SymptomRating,
)
from notifications.models import Message
from tests.factories import AppointmentFactory, UserFactory

BUDGET = 12


def add_history(patient, therapist, manager, days: int, before: int = 0) -> None:
    """`days` days of a patient's life with the app, ending `before` days ago: their
    log with symptom ratings (and a safety alert now and then), questionnaires,
    parked topics, weekly sessions with feedback (some raising alerts, a few
    escalated), the emails about them, who read their records; and a few more of
    the therapist's patients."""
    today = patient.today()
    now = timezone.now()
    symptoms = Symptom.objects.bulk_create(
        Symptom(patient=patient, name=f"Symptom {before}-{n}") for n in range(2 + days // 60)
    )
    Symptom.objects.bulk_create(
        [Symptom(patient=patient, name=f"Retired {before}", retired_at=now)]
    )
    entries = DailyEntry.objects.bulk_create(
        DailyEntry(patient=patient, day=today - timedelta(days=before + n), mood=n % 11)
        for n in range(days)
    )
    SymptomRating.objects.bulk_create(
        SymptomRating(entry=entry, symptom=symptom, severity=(entry.pk + symptom.pk) % 4)
        for entry in entries
        for symptom in symptoms
    )
    # Safety alerts too: no page may read anything about them row by row.
    SafetyAlert.objects.bulk_create(
        SafetyAlert(patient=patient, source="daily_log", entry=entry) for entry in entries[::90]
    )
    MeasureResponse.objects.bulk_create(
        MeasureResponse(
            patient=patient,
            kind="gad7",
            answers=[1] * 7,
            total=7,
            band="mild",
            taken_at=now - timedelta(days=before + n),
        )
        for n in range(0, days, 14)
    )
    ParkedTopic.objects.bulk_create(
        ParkedTopic(patient=patient, title=f"Topic {before}-{n}") for n in range(days // 10 + 1)
    )
    for week in range(0, days, 7):
        past = AppointmentFactory(
            therapist=therapist,
            patient=patient,
            starts_at=now - timedelta(days=before + week + 1),
            outcome="attended",
        )
        AppointmentFactory(
            therapist=therapist, patient=patient, starts_at=now + timedelta(days=before + week + 1)
        )
        feedback = SessionFeedback.objects.create(
            appointment=past,
            patient=patient,
            therapist=therapist,
            session_at=past.starts_at,
            bond=4 + week % 7,
            visibility="shared",
        )
        if week % 14 == 0:
            alert = AllianceAlert.objects.create(
                feedback=feedback, reasons=["low"], acknowledged_at=now if week % 28 else None
            )
            Escalation.objects.create(feedback=feedback, handled_at=now if week % 28 else None)
            audit.record(therapist, patient, audit.Kind.ALLIANCE_ALERT, alert.pk)
        Message.objects.create(
            key=f"budget:{past.pk}",
            kind="appointment_reminder",
            variant="first",
            target_id=past.pk,
            recipient=patient,
            due_at=past.starts_at - timedelta(hours=24),
            status=Message.Status.SENT if week % 21 else Message.Status.FAILED,
        )
        audit.record(therapist, patient, audit.Kind.PLAN)
    for _ in range(days // 30 + 1):
        other = UserFactory()
        CareLink.objects.create(therapist=therapist, patient=other)
        audit.record(manager, other, audit.Kind.ESCALATION)


def page_urls(patient):
    alert = AllianceAlert.objects.filter(feedback__patient=patient).order_by("pk").first()
    return {
        "daily log": ("patient", reverse("journal:entry", args=[patient.today()])),
        "patient home": ("patient", reverse("prep:patient_home")),
        "symptoms": ("patient", reverse("journal:symptoms")),
        "parked topics": ("patient", reverse("journal:parked_topics")),
        "my sessions": ("patient", reverse("prep:session_list")),
        "who opened my data": ("patient", reverse("accounts:my_access_log")),
        "feedback to read": ("therapist", reverse("feedback:alert_detail", args=[alert.pk])),
        "emails about my sessions": ("therapist", reverse("appointments:reminder_log")),
        "book a session": ("therapist", reverse("appointments:appointment_new")),
        "practice": ("manager", reverse("feedback:practice_home")),
    }


PAGES = [
    "daily log",
    "patient home",
    "symptoms",
    "parked topics",
    "my sessions",
    "who opened my data",
    "feedback to read",
    "emails about my sessions",
    "book a session",
    "practice",
]


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_costs_the_same_for_a_week_and_a_year(
    client, page, patient, therapist, manager, django_assert_max_num_queries
):
    people = {"patient": patient, "therapist": therapist, "manager": manager}
    add_history(patient, therapist, manager, days=7)
    role, url = page_urls(patient)[page]
    client.force_login(people[role])
    week = queries(client, url)
    assert week <= BUDGET, f"{page}: {week} queries"

    add_history(patient, therapist, manager, days=358, before=7)
    # Another therapist's practice grows too: the manager's counts must not join it up.
    add_history(UserFactory(), UserFactory(therapist=True), manager, days=60)
    with django_assert_max_num_queries(week):
        assert client.get(url).status_code == 200


# Saving the daily log: the session and user, the form's one-time token (taken, then
# pointed at the page it led to), the day's entry, the symptoms to rate (with when
# each was last felt), the entry and its ratings (the cleared ones deleted, the rest
# written in one statement), the "saved" message kept in the session, and the
# transaction's own two statements.
DAILY_LOG_SAVE_BUDGET = 12


def test_saving_the_daily_log_costs_the_same_few_queries_for_a_week_and_a_year(
    client, patient, therapist, manager, django_assert_max_num_queries
):
    """GIVEN a patient with a week of history, and then a year more
    WHEN they save today's log, rating one symptom anew, changing one and clearing
    one (a fresh form each time, with its one-time token)
    THEN each save costs the same fixed number of queries, and the ratings are as
    sent: none for the cleared symptom."""
    from core.submissions import FIELD, new_token

    captured_log = []

    def save(severities: dict) -> int:
        form = {FIELD: new_token(), "mood": "6", "sleep_hours": "7.5"}
        form.update({f"symptom_{pk}": value for pk, value in severities.items()})
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("journal:entry", args=[patient.today()]), form)
        assert response.status_code == 302
        captured_log[:] = captured.captured_queries
        return len(captured)

    add_history(patient, therapist, manager, days=7)
    client.force_login(patient)
    Symptom.objects.create(patient=patient, name="Headaches")
    first, second, third = Symptom.objects.filter(patient=patient, retired_at=None)[:3]
    save({first.pk: 1, second.pk: 2, third.pk: 3})
    week = save({first.pk: 3, second.pk: 2, third.pk: ""})
    assert week <= DAILY_LOG_SAVE_BUDGET, "\n".join(query["sql"][:80] for query in captured_log)

    add_history(patient, therapist, manager, days=358, before=7)
    with django_assert_max_num_queries(week):
        save({first.pk: 0, second.pk: "", third.pk: 1})
    entry = DailyEntry.objects.get(patient=patient, day=patient.today())
    assert dict(entry.ratings.values_list("symptom_id", "severity")) == {first.pk: 0, third.pk: 1}
    assert entry.mood == 6


@pytest.mark.django_db(transaction=True)
def test_saving_the_log_and_the_dashboard_send_at_most_12_statements_with_their_transactions(
    client, patient, therapist, manager
):
    """Inside a test's own transaction BEGIN and COMMIT become savepoints or vanish;
    here each request runs as on the server, so they are counted too.
    GIVEN a week of history WHEN the patient saves today's log and the therapist
    opens the dashboard THEN each sends at most BUDGET statements; GIVEN a year more
    THEN no more than with a week."""
    from core.submissions import FIELD, new_token

    def save_log() -> int:
        first, second, third = Symptom.objects.filter(patient=patient, retired_at=None)[:3]
        form = {FIELD: new_token(), "mood": "4", f"symptom_{first.pk}": "2"}
        form.update({f"symptom_{second.pk}": "1", f"symptom_{third.pk}": ""})
        client.force_login(patient)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(reverse("journal:entry", args=[patient.today()]), form)
        assert response.status_code == 302
        return len(captured)

    def dashboard() -> int:
        client.force_login(therapist)
        return queries(client, reverse("prep:therapist_dashboard"))

    add_history(patient, therapist, manager, days=7)
    Symptom.objects.create(patient=patient, name="Headaches")
    save_log()  # the day's entry is new the first time
    week = {"log": save_log(), "dashboard": dashboard()}
    assert max(week.values()) <= BUDGET, week

    add_history(patient, therapist, manager, days=358, before=7)
    year = {"log": save_log(), "dashboard": dashboard()}
    assert year == week
