"""The safety path: a patient who reports thoughts of self-harm sees crisis resources
at once, and each of their therapists is flagged in the app and emailed "please check
in". The email carries no content. The app never claims to watch entries live.

One alert per event: per daily entry (however often it is saved) and per PHQ-9
response; the one-to-one columns on SafetyAlert enforce it in the database. The
emails are outbox rows written with the alert, one per therapist, so a dead worker
or a broker outage delays them but never loses them (notifications/dispatch.py).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import cared_for_by, therapists_of
from notifications.outbox import enqueue
from notifications.tasks import dispatch_soon

from .emails import SAFETY_ALERT
from .models import DailyEntry, MeasureResponse, SafetyAlert


def raise_for_entry(entry: DailyEntry) -> SafetyAlert | None:
    if not entry.self_harm_thoughts:
        return None
    alert, created = SafetyAlert.objects.get_or_create(
        entry=entry, defaults={"patient": entry.patient, "source": SafetyAlert.Source.DAILY_LOG}
    )
    if created:
        _notify(alert)
    return alert


def raise_for_measure(response: MeasureResponse) -> SafetyAlert:
    alert, created = SafetyAlert.objects.get_or_create(
        measure=response, defaults={"patient": response.patient, "source": SafetyAlert.Source.PHQ9}
    )
    if created:
        _notify(alert)
    return alert


def _notify(alert: SafetyAlert) -> None:
    """One email per therapist caring for the patient now, in the alert's transaction."""
    for therapist in therapists_of(alert.patient):
        enqueue(SAFETY_ALERT, target_id=alert.pk, recipient=therapist, due_at=alert.created_at)
    dispatch_soon()


@transaction.atomic
def acknowledge(alert: SafetyAlert, by) -> bool:
    """The therapist has seen it; the first acknowledgement is the one kept."""
    return bool(
        SafetyAlert.objects.filter(pk=alert.pk, acknowledged_at=None).update(
            acknowledged_at=timezone.now(), acknowledged_by=by
        )
    )


def crisis_resources() -> list[dict]:
    return settings.CRISIS_RESOURCES


def open_alerts_for(therapist):
    return (
        SafetyAlert.objects.filter(cared_for_by(therapist, "patient"), acknowledged_at=None)
        .select_related("patient")
        .order_by("-created_at")
    )
