"""A shared version of a typical summary (two weeks of a journal, goals, homework,
an agenda and a questionnaire) for the summary-link tests and journeys."""

from datetime import timedelta

from django.utils import timezone

from prep import summaries
from tests.factories import (
    AgendaItemFactory,
    AppointmentFactory,
    DailyEntryFactory,
    GoalFactory,
    HomeworkFactory,
    MeasureResponseFactory,
)


def share_a_typical_summary(therapist, patient):
    today = patient.today()
    for days_ago in range(1, 14):
        DailyEntryFactory(
            patient=patient,
            day=today - timedelta(days=days_ago),
            mood=3 + days_ago % 6,
            anxiety=7 - days_ago % 5,
            energy=4 + days_ago % 3,
            discuss_next_session=days_ago in (3, 8),
            thoughts="Felt left out at the party" if days_ago == 3 else "",
        )
    GoalFactory(patient=patient, title="Sleep through most nights")
    GoalFactory(patient=patient, title="Say no at work without guilt")
    HomeworkFactory(patient=patient, description="Evening worry list")
    AgendaItemFactory(patient=patient, text="How to handle Sunday evenings")
    MeasureResponseFactory(patient=patient)
    appointment = AppointmentFactory(
        therapist=therapist, patient=patient, starts_at=timezone.now() + timedelta(days=2)
    )
    summaries.generate_draft(appointment)
    return summaries.share(appointment)
