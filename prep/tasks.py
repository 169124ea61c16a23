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
# Drafts checked against the journal per run, soonest session first.
REFRESH_BATCH = 1000


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def prepare_upcoming_summaries() -> int:
    """Prepare the draft summary of every session starting within 48 hours that has
    none yet, and share it at once for patients who chose that; then bring the
    drafts of sessions still to come up to date with the journal. Runs from beat;
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
    refresh_upcoming_drafts()
    return prepared


def refresh_upcoming_drafts() -> int:
    """Rebuild the drafts whose journal changed since they were built (one query
    each to tell, prep/freshness.py), so the patient's review page can read the
    stored draft instead of building one. Returns how many were rebuilt."""
    drafts = dict(
        PreSessionSummary.objects.filter(version=0, appointment__starts_at__gt=timezone.now())
        .exclude(appointment__outcome__in=Appointment.CANCELLED)
        .order_by("appointment__starts_at")
        .values_list("appointment_id", "inputs")[:REFRESH_BATCH]
    )
    appointments = Appointment.objects.select_related("patient", "therapist").in_bulk(drafts)
    refreshed = 0
    for appointment_id, inputs in drafts.items():
        appointment = appointments.get(appointment_id)
        try:
            if appointment is None or summaries.inputs_of(appointment) == inputs:
                continue
            summaries.generate_draft(appointment, only_if_stale=True)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            logger.exception("Could not refresh the summary for appointment %s", appointment_id)
            continue
        refreshed += 1
    return refreshed


def prepare_summary(appointment_id: int) -> None:
    appointment = (
        Appointment.objects.select_related("patient", "therapist").filter(pk=appointment_id).first()
    )
    if appointment is None or summaries.draft_for(appointment):
        return
    with transaction.atomic():
        summaries.generate_draft(appointment)
        # An own session's therapist is not on the app: a copy is frozen only when
        # the patient presses for one, to send themselves.
        if (
            not appointment.is_own
            and PrepPreference.objects.filter(
                patient_id=appointment.patient_id, share_automatically=True
            ).exists()
        ):
            summaries.share(appointment)
        else:
            emails.plan_summary_ready(appointment)
    logger.info("Prepared the summary for appointment %s", appointment_id)
