"""Demo sessions: past attended ones every two weeks, the next in two days, goals
and homework, and one summary in each state; and a patient on their own, whose
therapist is not on the app, with a weekly series and a copy sent by link."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from appointments import series
from appointments.models import Appointment, SessionSeries
from feedback import alerts
from feedback.models import SessionFeedback

from . import links, summaries
from .models import AgendaItem, Goal, Homework


def seed_sessions(therapist, patient, *, share: bool) -> bool:
    if Appointment.objects.filter(therapist=therapist, patient=patient).exists():
        return False
    zone = therapist.zone
    today = timezone.localdate(timezone=zone)

    def at(days: int, hour: int) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(hour, 0), tzinfo=zone)

    hour = 10 if share else 15
    # Relationship ratings per past session (bond, goals, approach, overall; None is
    # a question Sam left unanswered); Sam's last one drops and raises an alert,
    # Alex's stay steady.
    ratings = {56: (9, 9, 9, 9), 42: (9, 10, 9, 9), 28: (10, 9, 9, 10), 14: (6, 7, None, 7)}
    for days_ago in (56, 42, 28, 14):
        outcome = Appointment.Outcome.LATE if days_ago == 42 else Appointment.Outcome.ATTENDED
        past = Appointment.objects.create(
            therapist=therapist,
            patient=patient,
            starts_at=at(-days_ago, hour),
            ends_at=at(-days_ago, hour) + timedelta(minutes=50),
            location="Room 2, 14 Harbour Street",
            outcome=outcome,
            outcome_recorded_at=at(-days_ago, hour) + timedelta(hours=1),
        )
        bond, goals, approach, overall = (9, 9, 10, 9) if share else ratings[days_ago]
        feedback = SessionFeedback.objects.create(
            appointment=past,
            patient=patient,
            therapist=therapist,
            session_at=past.starts_at,
            bond=bond,
            goals=goals,
            approach=approach,
            overall=overall,
            comment="" if days_ago != 14 or share else "I felt rushed at the end.",
            discuss_next_time=days_ago == 14 and not share,
            visibility=SessionFeedback.Visibility.SCORES_ONLY
            if share and days_ago == 28
            else SessionFeedback.Visibility.SHARED,
            created_at=past.starts_at + timedelta(hours=3),
        )
        # Part of the story already: no email goes out for it.
        alerts.evaluate(feedback, notify=False)
    upcoming = Appointment.objects.create(
        therapist=therapist,
        patient=patient,
        starts_at=at(2, hour),
        ends_at=at(2, hour) + timedelta(minutes=50),
        kind=Appointment.Kind.VIDEO if share else Appointment.Kind.IN_PERSON,
        location="https://video.example.org/room/demo" if share else "Room 2, 14 Harbour Street",
    )

    Goal.objects.create(
        patient=patient,
        created_by=therapist,
        title="Sleep through most nights",
        why_it_matters="Everything feels harder after a bad night.",
    )
    Goal.objects.create(
        patient=patient,
        created_by=therapist,
        title="Say no at work without feeling guilty",
        why_it_matters="Taking on too much leaves no time to rest.",
    )
    Homework.objects.create(
        patient=patient,
        set_by=therapist,
        description="Write down one worry each evening and when you will think about it",
        due_on=today + timedelta(days=1),
    )
    Homework.objects.create(
        patient=patient,
        set_by=therapist,
        description="A ten-minute walk after lunch",
        due_on=today - timedelta(days=3),
        done_at=timezone.now() - timedelta(days=3),
    )
    AgendaItem.objects.create(patient=patient, text="How to handle the family dinner next month")
    if not share:
        AgendaItem.objects.create(
            patient=patient, text="I’d like to talk about how our sessions are going"
        )
    AgendaItem.objects.create(
        patient=patient, kind=AgendaItem.Kind.QUESTION, text="Should we meet weekly for a while?"
    )

    draft = summaries.generate_draft(upcoming)
    # In the story the patient has begun reviewing: their own words on the days they
    # marked are ticked to go, so trying it out shows both ticking and unticking.
    summaries.save_choices(
        draft, [], [item["entry"] for item in draft.snapshot["flagged"] if item["thought"]]
    )
    if share:
        summaries.share(upcoming)
    return True


def seed_solo(patient) -> bool:
    """Weekly own sessions with a therapist who is not on the app: one attended last
    week, the next in two days with a copy of its summary frozen and sent by a link
    (no code) that was opened once."""
    if Appointment.objects.filter(patient=patient).exists():
        return False
    zone = patient.zone
    today = timezone.localdate(timezone=zone)
    first_starts_at = datetime.combine(today - timedelta(days=5), time(17, 30), tzinfo=zone)
    weekly = SessionSeries.objects.create(
        patient=patient,
        therapist_name="Dr Amara Osei",
        kind=Appointment.Kind.IN_PERSON,
        location="Riverside Counselling, 3 Mill Yard",
        every_weeks=SessionSeries.Every.WEEK,
        first_starts_at=first_starts_at,
        timezone=patient.timezone,
    )
    Appointment.objects.create(
        patient=patient,
        therapist=None,
        therapist_name=weekly.therapist_name,
        kind=weekly.kind,
        location=weekly.location,
        series=weekly,
        occurrence=0,
        starts_at=first_starts_at,
        ends_at=first_starts_at + timedelta(minutes=weekly.duration_minutes),
        outcome=Appointment.Outcome.ATTENDED,
        outcome_recorded_at=first_starts_at + timedelta(hours=2),
    )
    series.materialise(weekly)
    upcoming = weekly.sessions.get(occurrence=1)
    AgendaItem.objects.create(patient=patient, text="Why Sunday evenings feel so heavy")
    summaries.generate_draft(upcoming)
    link = links.create(summaries.share(upcoming), days=links.DEFAULT_LIFETIME_DAYS)
    links.record_opening(link)
    return True
