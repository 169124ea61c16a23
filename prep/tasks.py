import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import reminders, summaries
from .models import Appointment, PrepPreference, PreSessionSummary

logger = logging.getLogger(__name__)

# A draft is prepared this long before each session.
DRAFT_LEAD_TIME = timedelta(hours=48)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def prepare_upcoming_summaries() -> int:
    """Prepare the draft summary of every session starting within 48 hours that has
    none yet, and share it at once for patients who chose that. Runs from beat;
    each appointment is its own small transaction, so one failure skips only it."""
    now = timezone.now()
    due = (
        Appointment.objects.booked()
        .filter(starts_at__gt=now, starts_at__lte=now + DRAFT_LEAD_TIME)
        .exclude(pk__in=PreSessionSummary.objects.values("appointment_id"))
        .values_list("pk", flat=True)
    )
    prepared = 0
    for appointment_id in due[:500]:
        prepare_summary(appointment_id)
        prepared += 1
    return prepared


def prepare_summary(appointment_id: int) -> None:
    appointment = (
        Appointment.objects.select_related("patient", "therapist").filter(pk=appointment_id).first()
    )
    if appointment is None or summaries.draft_for(appointment):
        return
    with transaction.atomic():
        summaries.generate_draft(appointment)
        if PrepPreference.objects.filter(
            patient_id=appointment.patient_id, share_automatically=True
        ).exists():
            summaries.share(appointment)
        else:
            reminders.plan_summary_ready(appointment)
    logger.info("Prepared the summary for appointment %s", appointment_id)


@shared_task(ignore_result=True, time_limit=240, soft_time_limit=220)
def dispatch_reminders() -> dict:
    """Beat runs this every minute: the per-minute scan of due rows is the whole
    schedule, so no task ever waits in the broker with a far-future ETA."""
    from . import dispatch

    return dispatch.dispatch()


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=580)
def plan_daily_nudges() -> int:
    """Make sure every patient who wants one has their next daily nudge planned."""
    from accounts.models import User

    from . import reminders

    planned = 0
    for patient in User.objects.filter(role=User.Role.PATIENT, is_active=True).iterator():
        planned += reminders.plan_daily_nudge(patient) is not None
    return planned
