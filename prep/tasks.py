import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment

from . import emails, summaries
from .models import PrepPreference, PreSessionSummary

logger = logging.getLogger(__name__)

# A draft is prepared this long before each session.
DRAFT_LEAD_TIME = timedelta(hours=48)


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def prepare_upcoming_summaries() -> int:
    """Prepare the draft summary of every session starting within 48 hours that has
    none yet, and share it at once for patients who chose that. Runs from beat;
    each appointment is its own small transaction, so one that fails is logged and
    skipped (and tried again at the next run) while the rest are prepared."""
    now = timezone.now()
    due = (
        Appointment.objects.booked()
        .filter(starts_at__gt=now, starts_at__lte=now + DRAFT_LEAD_TIME)
        .exclude(pk__in=PreSessionSummary.objects.values("appointment_id"))
        .values_list("pk", flat=True)
    )
    prepared = 0
    for appointment_id in due[:500]:
        try:
            prepare_summary(appointment_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.exception("Could not prepare the summary for appointment %s", appointment_id)
            continue
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
            emails.plan_summary_ready(appointment)
    logger.info("Prepared the summary for appointment %s", appointment_id)
