"""The safety path: a patient who reports thoughts of self-harm sees crisis resources
at once, and each of their therapists is flagged in the app and emailed "please check
in". The email carries no content. The app never claims to watch entries live.

One alert per event: per daily entry (however often it is saved) and per PHQ-9
response; the one-to-one columns on SafetyAlert enforce it in the database.
"""

import logging

from django.conf import settings
from django.db import transaction

from accounts.access import cared_for_by, therapists_of
from accounts.emails import build_email, send_once

from .models import DailyEntry, MeasureResponse, SafetyAlert

logger = logging.getLogger(__name__)


def raise_for_entry(entry: DailyEntry) -> SafetyAlert | None:
    if not entry.self_harm_thoughts:
        return None
    alert, created = SafetyAlert.objects.get_or_create(
        entry=entry, defaults={"patient": entry.patient, "source": SafetyAlert.Source.DAILY_LOG}
    )
    if created:
        _notify_after_commit(alert)
    return alert


def raise_for_measure(response: MeasureResponse) -> SafetyAlert:
    alert, created = SafetyAlert.objects.get_or_create(
        measure=response, defaults={"patient": response.patient, "source": SafetyAlert.Source.PHQ9}
    )
    if created:
        _notify_after_commit(alert)
    return alert


def _notify_after_commit(alert: SafetyAlert) -> None:
    from .tasks import notify_safety_alert

    def enqueue():
        try:
            notify_safety_alert.delay(alert.pk)
        except Exception:
            # The broker is down: the unsent alert stays in its table and the
            # per-minute sweep sends it once the broker is back.
            logger.exception("Could not enqueue safety alert %s", alert.pk)

    transaction.on_commit(enqueue)


def send_alert_email(alert_id: int) -> bool:
    """Send one alert's email to the patient's therapists, at most once."""

    def build():
        alert = SafetyAlert.objects.select_related("patient").get(pk=alert_id)
        recipients = [therapist.email for therapist in therapists_of(alert.patient)]
        if not recipients:
            return None
        return build_email("safety_alert", {"site_url": settings.SITE_URL}, to=recipients)

    return send_once(SafetyAlert, alert_id, "notified_at", build)


def crisis_resources() -> list[dict]:
    return settings.CRISIS_RESOURCES


def open_alerts_for(therapist):
    return (
        SafetyAlert.objects.filter(cared_for_by(therapist, "patient"), acknowledged_at=None)
        .select_related("patient")
        .order_by("-created_at")
    )
