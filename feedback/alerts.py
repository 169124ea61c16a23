"""When relationship feedback asks for the therapist's attention.

An alert is raised when any rating is at or below ALLIANCE_ALERT_ITEM_MAX (6), the
mean of the four is under ALLIANCE_ALERT_MEAN_BELOW (9), or the mean falls by
ALLIANCE_ALERT_DROP (2) or more from the patient's own running mean of their
previous three. Only feedback whose scores the patient shares can raise one: a
private answer never reaches the therapist, not even as a flag. The therapist is
emailed that there is feedback to read, never what it says.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, F

from accounts.access import cared_for_by
from accounts.emails import build_email, send_once

from .models import RATINGS, AllianceAlert, SessionFeedback

logger = logging.getLogger(__name__)

LABELS = {"bond": "Feeling heard and respected", "goals": "Working on what matters",
          "approach": "The way we work", "overall": "Overall"}  # fmt: skip


def reasons_for(feedback: SessionFeedback) -> list[str]:
    reasons = [
        f"{LABELS[name]} rated {getattr(feedback, name)}"
        for name in RATINGS
        if getattr(feedback, name) <= settings.ALLIANCE_ALERT_ITEM_MAX
    ]
    if feedback.mean < settings.ALLIANCE_ALERT_MEAN_BELOW:
        reasons.append(f"Average {feedback.mean:.1f} out of 10")
    running = running_mean(feedback)
    if running is not None and running - feedback.mean >= settings.ALLIANCE_ALERT_DROP:
        reasons.append(f"Down {running - feedback.mean:.1f} from the usual {running:.1f}")
    return reasons


def running_mean(feedback: SessionFeedback) -> float | None:
    """The mean of the patient's previous three feedbacks to this therapist."""
    previous = (
        SessionFeedback.objects.filter(
            patient_id=feedback.patient_id,
            therapist_id=feedback.therapist_id,
            session_at__lt=feedback.session_at,
        )
        .exclude(pk=feedback.pk)
        # A private answer never shapes what the therapist is told.
        .exclude(visibility=SessionFeedback.Visibility.PRIVATE)
        .order_by("-session_at")
        .annotate(item_mean=(F("bond") + F("goals") + F("approach") + F("overall")) / 4.0)
        .values_list("item_mean", flat=True)[:3]
    )
    values = list(previous)
    return sum(values) / len(values) if values else None


@transaction.atomic
def evaluate(feedback: SessionFeedback) -> AllianceAlert | None:
    """Raise, update or withdraw the alert after feedback is saved or edited. An
    acknowledged alert stays as it was: it is part of the history."""
    alert = AllianceAlert.objects.filter(feedback=feedback).first()
    reasons = reasons_for(feedback) if feedback.therapist_sees_scores else []
    if alert and alert.acknowledged_at:
        return alert
    if not reasons:
        if alert:
            alert.delete()
        return None
    if alert:
        alert.reasons = reasons
        alert.save(update_fields=["reasons"])
        return alert
    alert = AllianceAlert.objects.create(feedback=feedback, reasons=reasons)
    transaction.on_commit(lambda: _enqueue(alert.pk))
    return alert


def _enqueue(alert_id: int) -> None:
    from .tasks import notify_alliance_alert

    try:
        notify_alliance_alert.delay(alert_id)
    except Exception:
        # The broker is down: the per-minute sweep sends it later.
        logger.exception("Could not enqueue alliance alert %s", alert_id)


def send_alert_email(alert_id: int) -> bool:
    def build():
        alert = AllianceAlert.objects.select_related("feedback__therapist").get(pk=alert_id)
        therapist = alert.feedback.therapist
        return build_email(
            "feedback_to_read",
            {"name": therapist.first_name, "site_url": settings.SITE_URL},
            to=[therapist.email],
        )

    return send_once(AllianceAlert, alert_id, "notified_at", build)


def open_and_read_for(therapist):
    """Every alert this therapist may see: on feedback whose scores the patient
    shares, from patients still in their care."""
    return AllianceAlert.objects.filter(
        cared_for_by(therapist, "feedback__patient"),
        feedback__therapist=therapist,
        feedback__visibility__in=(
            SessionFeedback.Visibility.SHARED,
            SessionFeedback.Visibility.SCORES_ONLY,
        ),
    )


def open_alerts_for(therapist):
    return (
        open_and_read_for(therapist)
        .filter(acknowledged_at=None)
        .select_related("feedback__patient")
        .order_by("-created_at")
    )


def average_for(queryset) -> dict:
    return queryset.aggregate(**{name: Avg(name) for name in RATINGS})
